"""The standing hostile campaign of issue 16: see README.md."""
