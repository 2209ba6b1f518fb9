"""releases web routes."""

ROUTES: list = []
