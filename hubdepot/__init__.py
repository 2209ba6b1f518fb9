"""hubdepot: a self-hosted GitHub-compatible server for repository contents, releases, assets and downloads."""
