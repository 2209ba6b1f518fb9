"""archives routes."""

ROUTES: list = []
