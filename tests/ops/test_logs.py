"""Structured logs: JSON lines with the record's fields, and never a secret."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.logsetup import configure_logging, log_handler

SLACK_TOKEN = "xoxb-1234567890-abcdefghijKLMNOP"


@pytest.fixture
def restore_root_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_json_lines_carry_time_level_logger_message_and_extras(restore_root_logging: None) -> None:
    out = io.StringIO()
    configure_logging("INFO", "json", out)
    logging.getLogger("bot.execution.worker").info("worker %s executing run %d", "w1", 7,
                                                   extra={"run_id": 7, "integration": "local"})
    logging.getLogger("bot.quiet").debug("below the level")
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["level"] == "INFO" and entry["logger"] == "bot.execution.worker"
    assert entry["message"] == "worker w1 executing run 7"
    assert entry["run_id"] == 7 and entry["integration"] == "local"
    assert entry["time"].endswith("+00:00")


def test_a_token_in_a_json_log_line_is_redacted(restore_root_logging: None) -> None:
    out = io.StringIO()
    configure_logging("INFO", "json", out)
    log = logging.getLogger("bot.adapters.slack")
    log.warning("auth failed for token %s", SLACK_TOKEN, extra={"authorization": f"Bearer {SLACK_TOKEN}",
                                                                "note": f"pasted {SLACK_TOKEN}"})
    try:
        raise RuntimeError(f"bad credentials {SLACK_TOKEN}")
    except RuntimeError:
        log.exception("call failed")
    text = out.getvalue()
    assert SLACK_TOKEN not in text
    first, second = (json.loads(line) for line in text.splitlines())
    assert first["message"] == "auth failed for token [REDACTED]"
    assert first["authorization"] == "[REDACTED]" and first["note"] == "pasted [REDACTED]"
    assert "RuntimeError: bad credentials [REDACTED]" in second["exception"]


def test_text_format_is_redacted_too() -> None:
    out = io.StringIO()
    log = logging.getLogger("test.text.redaction")
    log.addHandler(log_handler("text", out))
    log.propagate = False
    try:
        log.error("token=%s", SLACK_TOKEN)
    finally:
        log.handlers.clear()
        log.propagate = True
    assert "token=[REDACTED]" in out.getvalue() and SLACK_TOKEN not in out.getvalue()


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="text, json"):
        log_handler("xml")
