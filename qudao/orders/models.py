"""Models of the orders context (issue 4)."""
