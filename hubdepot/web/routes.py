"""The web route table (paths on the public origin, outside /api)."""

ROUTES: list = []
