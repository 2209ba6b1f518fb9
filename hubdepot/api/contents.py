"""contents routes."""

ROUTES: list = []
