"""Routes outside /api: browser downloads, raw files, archives, legacy downloads, the S3 POST endpoint
(each module's ROUTES; hubdepot/surfaces.py mounts them)."""
