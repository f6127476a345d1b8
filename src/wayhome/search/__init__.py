"""Who searches where: segments, detection, coverage from tracks, Bayes, clues, allocation."""
