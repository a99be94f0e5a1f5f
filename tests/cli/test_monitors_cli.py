"""`deputy monitors …` as an operator uses it: add, list, pause, resume, reschedule, run, delete."""

from __future__ import annotations

from tests.cli.conftest import Run


def test_an_operator_manages_a_monitor_from_the_command_line(deputy: Run) -> None:
    assert deputy("monitors", "add", "Overdue", "local.list_invoices", "slack:C0FINANCE",
                  "--every", "3600", "--condition", "non_empty") == "monitor 1 added: every 1 h to slack:C0FINANCE"
    (line,) = deputy("monitors", "list").splitlines()
    assert line.split()[:5] == ["1", "active", "slack:C0FINANCE", "every", "1"] and line.endswith("Overdue")

    assert deputy("monitors", "pause", "1") == "monitor 1: paused"
    assert deputy("monitors", "list").split()[1] == "paused"
    assert deputy("monitors", "resume", "1") == "monitor 1: resumed"
    assert deputy("monitors", "schedule", "1", "--cron", "hour=10") == "monitor 1: now cron hour=10"
    assert deputy("monitors", "run", "1") == "monitor 1: queued (run 1)"
    assert "cron hour=10" in deputy("monitors", "list", "--channel", "slack:C0FINANCE")
    assert deputy("monitors", "list", "--channel", "slack:C0OTHER") == "No monitors."
    assert deputy("monitors", "delete", "1") == "monitor 1: deleted"
    assert deputy("monitors", "list") == "No monitors."


def test_mistakes_are_one_line(deputy: Run) -> None:
    for verb in ("pause", "resume", "run", "delete"):
        assert deputy("monitors", verb, "7", code=1) == "deputy: There is no monitor 7."
    assert deputy("monitors", "schedule", "7", "--every", "60", code=1) == "deputy: There is no monitor 7."
    assert deputy("monitors", "add", "X", "local.list_invoices", "slack:C1", code=2).endswith(
        "deputy: give --every SECONDS or --cron FIELDS")
    assert deputy("monitors", "schedule", "1", "--cron", "nope", code=2).endswith(
        "deputy: --cron 'nope' must be comma-separated key=value fields")
