"""Evidence packs: building, verifying, and the offline HTML report."""
