"""Models of the inventory context (issue 4)."""
