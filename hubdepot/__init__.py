"""hubdepot: a self-hosted GitHub-compatible server for repository contents, releases, assets and downloads."""

GHES_VERSION = "3.19.0"  # the GitHub Enterprise Server hubdepot answers as (X-GitHub-Enterprise-Version, GET /meta)
