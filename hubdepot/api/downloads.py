"""downloads routes."""

ROUTES: list = []
