"""Process logging: plain text for people, JSON lines for log pipelines; secrets removed in both.

``DEPUTY_LOG_FORMAT=json`` writes one JSON object a line: time, level, logger, message, the
fields passed with ``extra=``, and the traceback when there is one. Every record passes
through :class:`bot.redact.RedactingFilter` first, and the extra fields are redacted too, so
a token in a message or in an extra field never reaches the log.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from datetime import UTC, datetime
from typing import IO, Any

from bot.redact import RedactingFilter, redact, redact_log_text

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LOG_FORMATS = ("text", "json")
# attributes every LogRecord has; anything else on a record came from ``extra=``
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        extra = {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}
        entry.update(redact(_jsonable(extra)))
        if record.exc_info:
            entry["exception"] = redact_log_text(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


def _jsonable(value: dict[str, Any]) -> dict[str, Any]:
    # a round trip through json turns sets, datetimes and objects into plain data
    loaded: dict[str, Any] = json.loads(json.dumps(value, default=str))
    return loaded


def log_handler(log_format: str, stream: IO[str] | None = None) -> logging.Handler:
    """A handler writing ``text`` or ``json`` lines, with the redacting filter attached."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"log format must be one of {', '.join(LOG_FORMATS)}, not {log_format!r}")
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(RedactingFilter())
    return handler


def configure_logging(level: str, log_format: str = "text", stream: IO[str] | None = None) -> None:
    """Replace the root logger's handlers with one of ours (called once, at process start)."""
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(log_handler(log_format, stream))
    root.setLevel(level)


def raised_at(err: BaseException) -> str:
    """``file:line in function`` of the innermost frame an error passed: where it was raised,
    for a log line that must not carry its message or values (they may quote what people typed)."""
    frames = traceback.extract_tb(err.__traceback__)
    if not frames:
        return "?"
    last = frames[-1]
    return f"{last.filename}:{last.lineno} in {last.name}"
