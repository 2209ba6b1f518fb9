"""assets routes."""

ROUTES: list = []
