"""Running the incident: periods, roster, teams and pairs, roll calls, signals, rotation."""
