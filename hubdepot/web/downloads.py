"""downloads web routes."""

ROUTES: list = []
