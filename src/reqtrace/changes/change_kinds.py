"""The kinds of change a diff reports, in a module of their own: what only compares a
change's kind (status's story) need not import the diff and everything it uses."""

ADDED, REMOVED, MODIFIED, MOVED = "added", "removed", "modified", "moved"
