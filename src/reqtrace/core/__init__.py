"""The model and its loading: spec repos, their configuration, files parsed into items, snapshots, caches."""
