"""Baselines: frozen, signed scope; their sign-offs and their verification."""
