"""uploads routes."""

ROUTES: list = []
