"""What changed: field-level diffs, a requirement's history, reviews of parent links."""
