"""s3post web routes."""

ROUTES: list = []
