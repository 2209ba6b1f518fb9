"""Metadata store: SQLAlchemy Core on SQLite (default) or PostgreSQL. The only importer of sqlalchemy."""
