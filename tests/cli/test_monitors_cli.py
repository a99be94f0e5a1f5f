"""`deputy monitors …` as an operator uses it: add, list, pause, resume, reschedule, run, delete;
with `--team`, another team's monitor (and `deputy runs --team`, that team's runs)."""

from __future__ import annotations

import asyncio
import json

import pytest

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


ACME = "slack:T0ACME"


def acmes_monitor() -> int:
    """A monitor a person of the Slack workspace T0ACME asked for and approved in chat, in the
    home ``deputy`` runs on (DEPUTY_HOME): the operator's CLI is not its team."""
    from bot.app import build_app
    from bot.domain import Actor, PlanDraft, Step, Where
    from bot.scheduling import service
    from bot.scheduling.model import Schedule
    from bot.settings import load_settings

    async def make() -> int:
        deputy = await build_app(load_settings())
        try:
            anna = Actor(platform="slack", team_id="T0ACME", user_id="U0ANNA", timezone="Europe/London")
            plan = PlanDraft(summary="Acme's overdue", steps=[Step(id="s1", action="local.list_invoices")])
            row = await service.create_monitor(deputy, anna, "Acme's overdue", plan, Schedule.every(3600),
                                               Where(platform="slack", channel_id="C0ACME"))
            await service.approve(deputy, row.id or 0, anna)
            return row.id or 0
        finally:
            await deputy.close()

    return asyncio.run(make())


def test_the_operator_manages_another_teams_monitor_with_team(deputy: Run) -> None:
    mine = deputy("monitors", "add", "Mine", "local.list_invoices", "shell:general", "--every", "60").split()[1]
    theirs = acmes_monitor()
    # the operator's own team does not hold it, as before
    assert deputy("monitors", "pause", str(theirs), code=1) == f"deputy: There is no monitor {theirs}."
    [line] = deputy("monitors", "list", "--team", ACME).splitlines()
    assert line.split()[:3] == [str(theirs), "active", "slack:C0ACME"] and line.endswith("Acme's overdue")
    assert mine not in {row.split()[0] for row in deputy("monitors", "list", "--team", ACME).splitlines()}

    assert deputy("monitors", "pause", str(theirs), "--team", ACME) == f"monitor {theirs}: paused"
    assert deputy("monitors", "resume", str(theirs), "--team", ACME) == f"monitor {theirs}: resumed"
    assert deputy("monitors", "schedule", str(theirs), "--cron", "hour=10", "--team", ACME) == \
        f"monitor {theirs}: now cron hour=10"
    queued = deputy("monitors", "run", str(theirs), "--team", ACME)
    assert queued.startswith(f"monitor {theirs}: queued (run ")
    run = queued.rsplit(" ", 1)[1].rstrip(")")
    # its run is Acme's: listed and shown with --team, not in the shell's team
    assert [r.split()[0] for r in deputy("runs", "list", "--team", ACME).splitlines()] == [f"#{run}"]
    assert deputy("runs", "show", run, "--team", ACME).startswith(f"Run #{run} — queued")
    assert deputy("runs", "show", run, "--team", "shell:local", code=1) == f"deputy: there is no run {run} in shell:local"
    # the other team's monitor is still out of reach of the wrong --team
    assert deputy("monitors", "delete", str(theirs), "--team", "shell:local", code=1) == \
        f"deputy: There is no monitor {theirs}."
    assert deputy("monitors", "delete", str(theirs), "--team", ACME) == f"monitor {theirs}: deleted"

    # each change is in Acme's audit chain, by the operator
    records = [json.loads(line) for line in deputy("audit", "export", "--team", ACME).splitlines()]
    by_operator = [r["kind"] for r in records if str(r["actor"]).startswith("cli:local:")]
    assert by_operator == ["monitor_pause", "monitor_resume", "monitor_edit", "monitor_delete"]
    assert "audit log of slack:T0ACME intact" in deputy("audit", "verify", "--team", ACME)


def test_the_operator_adds_a_monitor_in_another_team_with_team(deputy: Run) -> None:
    acmes_monitor()  # Acme is a team Deputy keeps rows of
    added = deputy("monitors", "add", "Acme watch", "local.list_invoices", "slack:C0ACME", "--every", "3600",
                   "--team", ACME)
    monitor = added.split()[1]
    assert added == f"monitor {monitor} added: every 1 h to slack:C0ACME in {ACME}"
    assert monitor in {row.split()[0] for row in deputy("monitors", "list", "--team", ACME).splitlines()}
    # it is Acme's, not the operator's own team's: found only with --team, and its run is Acme's
    assert deputy("monitors", "pause", monitor, code=1) == f"deputy: There is no monitor {monitor}."
    assert deputy("monitors", "list", "--team", ACME).splitlines()[-1].split()[1] == "active"
    run = deputy("monitors", "run", monitor, "--team", ACME).rsplit(" ", 1)[1].rstrip(")")
    assert f"#{run}" in [r.split()[0] for r in deputy("runs", "list", "--team", ACME).splitlines()]

    # proposed and approved in Acme's chain: by the operator as Acme's member, approved by the CLI
    records = [json.loads(line) for line in deputy("audit", "export", "--team", ACME).splitlines()]
    mine = [(r["kind"], r["actor"]) for r in records if r["kind"] in ("monitor_proposed", "monitor_approve")
            and r["data"]["monitor"] == int(monitor)]
    assert [kind for kind, _ in mine] == ["monitor_proposed", "monitor_approve"]
    assert mine[0][1].startswith(f"{ACME}:cli:") and mine[1][1].startswith("cli:local:")
    assert "audit log of slack:T0ACME intact" in deputy("audit", "verify", "--team", ACME)


def test_adding_in_another_team_refuses_what_the_team_cannot_have(deputy: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEPUTY_INTEGRATIONS", '["local", "crm"]')  # crm reads with a person's token
    acmes_monitor()
    add = ("monitors", "add", "X", "local.list_invoices")
    assert deputy(*add, "slack:C1", "--every", "60", "--team", "slack:T0NOPE", code=1) == \
        "deputy: There is no team slack:T0NOPE (`deputy teams list` shows them)."
    assert deputy(*add, "slack:C1", "--every", "60", "--team", "nonsense", code=1) == \
        "deputy: 'nonsense' is not a team key: use platform:team_id, e.g. discord:1234"
    assert deputy(*add, "discord:123", "--every", "60", "--team", ACME, code=1) == \
        f"deputy: Team {ACME} is on slack: its monitors post there, not to discord:123."
    assert deputy("monitors", "add", "X", "crm.list_deals", "slack:C0ACME", "--every", "60", "--team", ACME,
                  code=1) == ("deputy: crm needs a person's connected account, which the operator has not in "
                              f"{ACME}: ask for this monitor in the team's chat.")
    assert [row.split()[-1] for row in deputy("monitors", "list", "--team", ACME).splitlines()] == ["overdue"]


def test_a_team_that_does_not_exist_is_refused(deputy: Run) -> None:
    for words in (["monitors", "pause", "1"], ["monitors", "list"], ["monitors", "schedule", "1", "--every", "60"],
                  ["runs", "list"], ["runs", "show", "1"]):
        assert deputy(*words, "--team", "slack:T0NOPE", code=1) == \
            "deputy: There is no team slack:T0NOPE (`deputy teams list` shows them)."
    assert deputy("monitors", "run", "1", "--team", "nonsense", code=1) == \
        "deputy: 'nonsense' is not a team key: use platform:team_id, e.g. discord:1234"


def test_team_is_in_the_help(deputy: Run) -> None:
    for words in (["monitors", "pause"], ["monitors", "schedule"], ["monitors", "list"], ["monitors", "add"],
                  ["runs", "list"]):
        assert "--team" in deputy(*words, "--help"), words


def test_a_monitor_added_from_the_command_line_takes_the_actions_arguments(deputy: Run) -> None:
    """The README's "Overdue invoices" monitor lists the overdue ones, not every invoice."""
    added = deputy("monitors", "add", "Overdue invoices", "local.list_invoices", "shell:general", "--every", "3600",
                   "--args", '{"status": "overdue"}')
    monitor = added.split()[1]
    run = deputy("monitors", "run", monitor).split()[-1].rstrip(")")
    shown = json.loads(deputy("runs", "show", run, "--json"))
    assert [step["planned_args"] for step in shown["steps"]] == [{"status": "overdue"}]

    assert deputy("monitors", "add", "X", "local.list_invoices", "shell:general", "--every", "60",
                  "--args", '{"status": "late"}', code=1).startswith("deputy: That monitor's plan is not valid:")
    assert deputy("monitors", "add", "X", "local.list_invoices", "shell:general", "--every", "60",
                  "--args", "status=overdue", code=2) == (
        "deputy: --args must be a JSON object, e.g. '{\"status\": \"overdue\"}'")
