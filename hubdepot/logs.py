"""Log lines as JSON (HUBDEPOT_LOG_FORMAT=json): granian's logging setup with one formatter for its
loggers, hubdepot's (one line per request from http/observe) and the root's."""

from __future__ import annotations

import datetime as dt
import logging

import orjson

from hubdepot.config import Settings


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, the record's fields, its traceback."""

    def format(self, record: logging.LogRecord) -> str:
        out = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **getattr(record, "fields", {}),
        }
        if record.exc_info:
            out["traceback"] = self.formatException(record.exc_info)
        return orjson.dumps(out, default=str).decode()


def log_config(settings: Settings) -> dict[str, object] | None:
    """granian's logging setup (its own loggers, ours, the root) for HUBDEPOT_LOG_FORMAT=json."""
    if settings.log_format != "json":
        return None
    json = {"()": f"{__name__}.JsonFormatter"}
    console = {"formatter": "json", "class": "logging.StreamHandler", "stream": "ext://sys.stdout"}
    quiet = {"handlers": ["console"], "propagate": False}
    return {
        "formatters": {"json": json, "generic": json, "access": json},
        "handlers": {"console": console, "access": console},
        "loggers": {
            "_granian": {**quiet, "level": "INFO"},
            "granian.access": {**quiet, "level": "INFO"},
            "hubdepot": {**quiet, "level": settings.log_level.upper()},
        },
        "root": {"handlers": ["console"], "level": "WARNING"},
    }
