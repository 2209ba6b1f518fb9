"""archives web routes."""

ROUTES: list = []
