"""What Deputy says, in platform-neutral terms. Each adapter renders these its own way
(Block Kit, discord.ui Views, terminal text); the decisions of what to show live here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class CardState(StrEnum):
    AWAITING = "awaiting approval"
    APPROVED = "approved"
    RUNNING = "running"
    SUCCEEDED = "done"
    FAILED = "failed"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"
    CANCELLED = "cancelled"


class StepState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class StepLine:
    number: int
    step_id: str
    action: str  # integration.action
    description: str  # the action's one-line description or the planner's note
    shown_args: dict[str, Any]  # the arguments that matter, references shown as "← step N …"
    args: dict[str, Any]  # every argument, for a Modify form
    effect: str
    verdict: str  # allow | require_approval | deny
    reason: str
    state: StepState = StepState.PENDING
    detail: str = ""  # "3 invoices", the error, …


@dataclass(frozen=True)
class Button:
    id: str
    label: str
    style: str = "default"  # primary | danger | default


@dataclass(frozen=True)
class PlanCard:
    goal_id: int
    plan_id: int
    version: int
    goal_text: str
    requester: str
    summary: str
    steps: tuple[StepLine, ...]
    state: CardState
    approvals_required: int
    approved_by: tuple[str, ...] = ()
    note: str = ""  # e.g. "changed from v1: step 2 start" or "re-planned after a failure"
    buttons: tuple[Button, ...] = ()
    denied: bool = False  # some step is denied: the plan cannot run as it stands
    # set on a monitor proposal's card: it is approved with `monitor approve ID`, not a run
    monitor_id: int | None = None
    # which model planned this version ("llama3.1:8b on openai-compatible"), kept with the
    # version so every redraw says it; "" for the rule planner and a person's edit
    planned_by: str = ""
    # local files the preview made for people to see (screenshots): attached when the card
    # is first posted (Slack file upload, Discord attachment), never on an update
    files: tuple[str, ...] = ()


@dataclass(frozen=True)
class Notice:
    text: str
    tone: str = "info"  # info | success | warning | error
    # what the audit log keeps of it, when ``text`` quotes a memory (personal data that
    # `deputy memory forget --person` must be able to erase); None keeps ``text``
    audit_text: str | None = None
    # e.g. [Remember] [No] on a memory proposal; adapters render them as on a card
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True)
class Question:
    """The planner needs an answer; a reply in the thread continues the goal."""

    text: str


@dataclass(frozen=True)
class Answer:
    """What one step found or did, as data: a titled table with a total. Adapters show the
    first rows within their platform's limits and say how to see the rest."""

    title: str  # "List overdue invoices: 3 invoices"
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    total: str = ""  # "outstanding 12,345.00 USD"
    run_id: int = 0  # where every row can be seen (`deputy runs show N`)


@dataclass(frozen=True)
class RunResult:
    goal_id: int
    run_id: int
    succeeded: bool
    headline: str
    lines: tuple[str, ...] = field(default_factory=tuple)
    answers: tuple[Answer, ...] = ()
    files: tuple[str, ...] = ()  # local files the run made for people to see (screenshots)


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    secret: bool = True
    required: bool = True
    description: str = ""


@dataclass(frozen=True)
class ConnectForm:
    """Ask one person, privately, for an integration's credentials (modal / hidden prompt).
    The answers come back as a CredentialsSubmitted event."""

    integration: str
    title: str
    fields: tuple[FormField, ...]


@dataclass(frozen=True)
class Digest:
    """What a monitor posts to its channel. Platform-neutral; adapters render it:

    * Slack: a header block with ``title``, the lines as bulleted sections, a context block
      with ``footer`` and where the details are; when ``offer`` is set, a primary
      "Plan: <offer>" button whose value is that goal.
    * Discord: an embed (title, description = lines, footer), the offer as a field.
    * Shell: the title, the lines indented, the footer, then "→ say: <offer>".
    """

    monitor_id: int
    title: str
    lines: tuple[str, ...]
    footer: str  # schedule and next run, e.g. "every Monday 09:00 Europe/London · next Mon 1 Dec"
    details_ref: str  # "run 42": where the full outputs can be seen (`deputy runs show 42`)
    offer: str = ""  # a follow-up goal ("send reminders for the overdue invoices")
    late: bool = False  # fired after downtime, later than its scheduled time
    scheduled_at: datetime | None = None
    answers: tuple[Answer, ...] = ()

    def as_text(self) -> str:
        body = [self.title, *(f"  {line}" for line in self.lines)]
        for answer in self.answers:
            body.extend(answer_lines(answer, indent="  "))
        body.append(self.footer)
        if self.offer:
            body.append(f"Ready to plan: “{self.offer}” — reply with it to get a plan to approve.")
        return "\n".join(body)


# how many rows of an answer a chat message shows before "… and N more"
SHOWN_ROWS = 10


def answer_lines(answer: Answer, indent: str = "", limit: int = SHOWN_ROWS) -> list[str]:
    """An answer as plain lines: the platform-neutral text every surface can fall back to."""
    lines = [f"{indent}{answer.title}"]
    lines += [f"{indent}  {' · '.join(cell for cell in row if cell)}" for row in answer.rows[:limit]]
    if len(answer.rows) > limit:
        more = len(answer.rows) - limit
        lines.append(f"{indent}  … and {more} more" + (f" (deputy runs show {answer.run_id})" if answer.run_id else ""))
    if answer.total:
        lines.append(f"{indent}  Total: {answer.total}")
    return lines


Reply = PlanCard | Notice | Question | RunResult | ConnectForm | Digest
