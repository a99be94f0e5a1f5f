"""What the shell prints before anything is loaded: the help text and the banner (its
first prompt comes before the store, the integrations or the flow are imported)."""

from __future__ import annotations

from bot.settings import Settings
from bot.settings.model import shown_url

SHELL_HELP = """Type a goal in plain words, then answer the plan:
  approve · reject · modify STEP key=value · reply TEXT (e.g. reply make it Thursday) · undo (after a run)
  approve GOAL_ID · reject GOAL_ID decide a plan waiting from an earlier session (see status)
  accept (take up someone else's suggestion shown on the plan)
  remember · no (answer Deputy's offer to remember something you taught it)
Monitors: every Monday at 9 list the overdue invoices · monitors · monitor pause|resume|run|delete ID
Also: demo (load a demo team) · status · cancel GOAL_ID · connect INTEGRATION · connections · disconnect INTEGRATION · help · quit
Act as someone else (for approvals): as NAME: approve"""

DEMO_HINT = ("Nothing to act on yet: type `demo` to load a demo team "
             "(people, clients, overdue invoices, a busy calendar).")


def banner(settings: Settings, name: str) -> str:
    """Who is at the terminal, the planner backend (DEPUTY_PLANNER, or what it defaults to)
    and the database as configured, its password hidden."""
    return (f"Deputy shell — you are {name}. Planner: {settings.planner_backend}. "
            f"Database: {shown_url(settings.resolved_database_url)}")
