"""The surfaces whose answers are a file's bytes, outside /api: raw files and archives (GitHub's raw
and codeload hosts), browser downloads of release assets, legacy downloads, and the S3 POST endpoint
that receives the latter (each module's ROUTES; hubdepot/surfaces.py mounts them)."""
