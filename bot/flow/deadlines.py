"""How long things may wait: approvals, undo offers, queued runs.

Read from settings with defaults so the core works before the settings class names them
(DEPUTY_APPROVAL_EXPIRY_HOURS, DEPUTY_UNDO_WINDOW_HOURS, DEPUTY_QUEUED_RUN_TIMEOUT_MINUTES).
"""

from __future__ import annotations

from datetime import timedelta

from bot.settings import Settings

APPROVAL_EXPIRY_HOURS = 24.0
UNDO_WINDOW_HOURS = 24.0
QUEUED_RUN_TIMEOUT_MINUTES = 60.0
SWEEP_EVERY_POLLS = 30


def approval_expiry(settings: Settings) -> timedelta:
    return timedelta(hours=float(getattr(settings, "approval_expiry_hours", APPROVAL_EXPIRY_HOURS)))


def undo_window(settings: Settings) -> timedelta:
    return timedelta(hours=float(getattr(settings, "undo_window_hours", UNDO_WINDOW_HOURS)))


def queued_run_timeout(settings: Settings) -> timedelta:
    return timedelta(minutes=float(getattr(settings, "queued_run_timeout_minutes",
                                           QUEUED_RUN_TIMEOUT_MINUTES)))


def sweep_every_polls(settings: Settings) -> int:
    return max(1, int(getattr(settings, "sweep_every_polls", SWEEP_EVERY_POLLS)))


def hours_text(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:g} h" if hours >= 1 else f"{delta.total_seconds() / 60:g} min"
