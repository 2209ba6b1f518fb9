"""graphql routes."""

ROUTES: list = []
