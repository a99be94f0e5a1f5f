"""Management commands in chat: help, status, cancel, connections, monitors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.chat.events import CommandInvoked
from bot.chat.replies import ConnectForm, Notice
from bot.domain import GoalStatus, PlanStatus, RunStatus
from bot.flow import connections, episode_commands, memory_commands, monitor_commands, team_admin
from bot.store import audit, goals, runs

if TYPE_CHECKING:
    from bot.core.deputy import Deputy

HELP = """I plan what you ask, show you the plan, and run it once the people the policy names approve.
Ask in plain words, for example:
• book a meeting with Alice and Bob next Tuesday at 10am
• invoice all clients for last month
• chase overdue invoices
• what's overdue?  ·  look up Acme  ·  update Alice's phone to +44 20 7946 0000
Then use the buttons on the plan (Approve / Modify / Reject).
Commands: help · status (your open goals) · cancel GOAL_ID
Monitors: say “every Monday at 9 list the overdue invoices to #finance” · monitors (this channel's) · monitor approve|pause|resume|run|delete ID
Memory: remember that OUR STANDUPS ARE 15 MINUTES (for me: / for the team: to scope it) · memories · what do you remember about X · forget ID · when did we last meet X? · who did we remind last week?
Accounts: connect INTEGRATION (asks privately, never in the channel) · connections · disconnect INTEGRATION
Team admins: setup (or admin) shows this team's settings · setup role GROUP @Role · setup digest #channel · setup timezone ZONE"""


async def on_command(app: Deputy, event: CommandInvoked) -> None:
    port = app.port(event.where.platform)
    name = event.name.lower()
    reply: Notice | ConnectForm
    if name == "help":
        reply = Notice(HELP)
    elif name == "status":
        reply = await _status(app, event)
    elif name == "cancel":
        reply = await _cancel(app, event)
    elif name == "connect":
        reply = await connections.connect_form(app, event)
    elif name == "connections":
        reply = await connections.list_connections(app, event)
    elif name == "disconnect":
        reply = await connections.disconnect(app, event)
    elif name == "monitors":
        reply = await monitor_commands.list_monitors(app, event)
    elif name == "monitor":
        reply = await monitor_commands.manage_monitor(app, event)
    elif name in ("remember", "forget", "memories"):
        reply = await memory_commands.on_memory_command(app, event)
    elif name == "last":
        reply = await episode_commands.when_last(app, event)
    elif name in ("setup", "admin"):
        reply = await team_admin.on_team_command(app, event)
    elif name == "who":
        reply = await episode_commands.who_did(app, event)
    else:
        reply = Notice(f"I don't know the command {event.name!r}. Try `help`.", tone="warning")
    await port.post_private(event.where, event.actor, reply)


async def _status(app: Deputy, event: CommandInvoked) -> Notice:
    async with app.database.session(team=event.actor.team_key) as session:
        open_goals = await goals.open_goals_of(session, event.actor.key)
        lines = []
        for goal in open_goals:
            plan = await goals.plan_for_goal(session, goal.id or 0)
            version = f" · plan {plan.id} v{plan.current_version}" if plan else ""
            lines.append(f"#{goal.id} {goal.status}{version}: {goal.text[:80]}")
    if not lines:
        return Notice("You have no open goals.")
    return Notice("Your open goals:\n" + "\n".join(lines))


async def _cancel(app: Deputy, event: CommandInvoked) -> Notice:
    arg = event.argument.strip().lstrip("#")
    if not arg.isdigit():
        return Notice("Use: cancel GOAL_ID (see `status` for your goals' ids).", tone="warning")
    goal_id = int(arg)
    async with app.database.session(team=event.actor.team_key) as session:
        goal = await goals.get_goal(session, goal_id, lock=True)
        if goal is None:
            return Notice(f"There is no goal #{goal_id}.", tone="warning")
        if goal.requester_key != event.actor.key:
            return Notice(f"Goal #{goal_id} is not yours to cancel.", tone="warning")
        if goal.status not in (GoalStatus.PLANNING, GoalStatus.WAITING, GoalStatus.RUNNING):
            return Notice(f"Goal #{goal_id} is already {goal.status}.")
        plan = await goals.plan_for_goal(session, goal_id)
        if plan is not None and plan.id is not None:
            view = await goals.load_view(session, plan.id)
            if view is not None and view.version.status == PlanStatus.PROPOSED:
                await goals.set_version_status(session, view.version, PlanStatus.CANCELLED)
        for run in await runs.runs_of_goal(session, goal_id):
            if run.id is not None and run.status in (RunStatus.QUEUED, RunStatus.RUNNING):
                # a running worker notices at its next step and stops before it
                await runs.finish_run(session, run.id, RunStatus.CANCELLED, error="cancelled by requester")
        await goals.set_goal_status(session, goal, GoalStatus.CANCELLED)
        await audit.append(session, "cancel", actor_key=event.actor.key, goal_id=goal_id)
    return Notice(f"Goal #{goal_id} is cancelled; no further step will run.", tone="success")
