"""probability."""
