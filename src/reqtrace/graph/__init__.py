"""The evidence graph and the questions asked of it: trace, impact, status."""
