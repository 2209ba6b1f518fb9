"""`hubdepot mirror`, the client side: read a repository, its releases and their assets from
github.com or any GitHub-compatible server (another hubdepot included) and copy them here.

source.py  the source's API: URL parsing, requests with retries, rate limits, ETags, asset downloads
sync.py    one repository: metadata, refs (git fetch), releases and assets, incremental and resumable
report.py  progress for people (rich bars on a terminal, plain log lines otherwise) and the summary

The writing side is services/mirror/ (the repository and sync state; releases.py for releases and assets).
"""
