"""Exporters: requirements of a spec repo, at a revision or baseline, in other tools' formats."""
