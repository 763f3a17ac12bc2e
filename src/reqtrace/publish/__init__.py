"""`reqtrace publish`: the spec as static HTML."""
