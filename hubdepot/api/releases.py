"""releases routes."""

ROUTES: list = []
