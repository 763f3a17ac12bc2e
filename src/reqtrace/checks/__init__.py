"""`reqtrace check`: findings about a snapshot, for people and CI."""
