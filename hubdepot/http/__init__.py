"""The request edge every surface shares (API, uploads, GraphQL, git, web pages, the S3 POST endpoint):
who is asking (auth), serving stored bytes (files), rendering errors per surface (render), reading
request bodies (streams), and the one ASGI middleware that applies them (edge)."""
