"""Test mode: `hubdepot serve --ephemeral`, seed files, the request journal and fault injection, and
the pytest plugin (`github` fixture). Nothing here runs on a normal server: app.py wires the
middleware only when `settings.ephemeral` is set. See docs/testing.md."""
