"""Routes outside /api: browser downloads, raw files, archives, legacy downloads, the S3 POST endpoint."""

from hubdepot.web import routes

ROUTES = routes.ROUTES
