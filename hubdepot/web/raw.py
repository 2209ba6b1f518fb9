"""raw web routes."""

ROUTES: list = []
