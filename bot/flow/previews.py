"""Previews: the read steps the policy allows run before approval, so the card shows real
values (the free slot, the invoices, the draft), and the approval is bound to what the write
steps will actually send.

At proposal time the allowed read steps run with the requester's credentials through the
executor's own call path; their outputs resolve the write steps' arguments as far as reads
can (references to other writes stay symbolic), and the SHA-256 of those resolved write
steps is stored with the version. Just before a run's first write, the same resolution over
the run's fresh read outputs must give the same hash. If it does not (an invoice was paid, a
slot was taken), the approval is void: nothing is written, the run is cancelled, and the
plan is proposed again as a NEW version with a fresh preview, which needs approval again.
A new version (not the old one re-opened) keeps "approvals belong to one version" true.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.chat.inert import planner_words
from bot.domain import Actor, Effect
from bot.errors import DeputyError, PermanentError
from bot.execution.executor import call_with_credentials
from bot.flow.answers import spec_lookup
from bot.flow.cards import summarise_output
from bot.flow.derived import KEY, derive_writes, difference
from bot.flow.preview_text import nothing_to_do, read_lines, write_lines
from bot.planning.refs import ITEM, RefError, is_ref, lookup, resolve, root_of
from bot.registry.attachments import files_of
from bot.store import goals, previews, runs
from bot.store.goals import PlanView
from bot.store.tables import StepRow

if TYPE_CHECKING:
    from bot.core.deputy import Deputy

log = logging.getLogger(__name__)
MISSING = "$missing"


def _resolve_known(value: Any, scope: Mapping[str, Any]) -> Any:
    """Resolve the references whose step is in ``scope``; leave the others as they are."""
    if is_ref(value):
        path = value["$ref"]
        if root_of(path) not in scope:
            return value
        try:
            return lookup(path, scope)
        except RefError:
            return {MISSING: path}
    if isinstance(value, dict):
        return {k: _resolve_known(v, scope) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve_known(v, scope) for v in value]
    return value


def resolved_writes(app: Deputy, view: PlanView, scope: Mapping[str, Any]) -> dict[str, Any]:
    """step id -> the write step's arguments (a list per item for ``for_each``) as far as
    the outputs in ``scope`` resolve them."""
    found: dict[str, Any] = {}
    for step in view.steps:
        spec = app.registry.spec(step.action)
        if spec is not None and spec.effect is Effect.READ:
            continue
        if step.for_each and root_of(step.for_each) in scope:
            try:
                items = lookup(step.for_each, scope)
            except RefError:
                items = None
            if not isinstance(items, list):
                found[step.step_id] = {MISSING: step.for_each}
                continue
            found[step.step_id] = [_resolve_known(step.args, {**scope, ITEM: item}) for item in items]
        else:
            found[step.step_id] = _resolve_known(step.args, scope)
    return found


def hash_of(writes: Mapping[str, Any], derived: Mapping[str, Any] | None = None) -> str:
    """The SHA-256 an approval is bound to: the resolved writes and, when a write derives
    values inside its integration (bot/flow/derived.py), those values too."""
    bound = {**writes, KEY: derived} if derived else writes
    text = json.dumps(bound, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _reads(outputs: Mapping[str, Any]) -> dict[str, Any]:
    """A preview's read outputs, without the derived values stored next to them."""
    return {k: v for k, v in outputs.items() if k != KEY}


def _is_write(app: Deputy, action: str) -> bool:
    spec = app.registry.spec(action)
    return spec is None or spec.effect is not Effect.READ


def reads_trusted(app: Deputy, action: str) -> bool:
    """Whether a read action's integration may be believed to only read (an MCP server the
    operator did not mark ``trusted`` may lie in its readOnlyHint)."""
    loaded = app.registry.get(action.split(".", 1)[0])
    return loaded is not None and loaded.manifest.trusted_reads


def _previewable(app: Deputy, step: StepRow) -> bool:
    return step.effect == Effect.READ.value and step.verdict == "allow" and reads_trusted(app, step.action)


@dataclass(frozen=True)
class Preview:
    note: str  # what the card shows under "Preview, looked up before approval"
    # why the plan should not be sent for approval: a name nobody matches, nothing to do
    blockers: tuple[str, ...] = ()
    files: tuple[str, ...] = ()  # what the reads made for people to see (screenshots)


def _preview_args(step: StepRow, outputs: Mapping[str, Any]) -> list[Any] | None:
    """The arguments of each call of a read step before approval; None when it cannot run
    yet (it reads what a write returns: it can only run in the run)."""
    try:
        if step.for_each:
            items = lookup(step.for_each, outputs)
            return [resolve(step.args, {**outputs, ITEM: i}) for i in items] \
                if isinstance(items, list) else None
        return [resolve(step.args, outputs)]
    except RefError:
        return None


async def run_previews(app: Deputy, view: PlanView) -> Preview:
    """Run the allowed read steps, store their outputs and the write hash; the card's note."""
    assert view.version.id is not None
    async with app.database.session(team=view.goal.team_key) as session:
        requester = await goals.get_actor(session, view.goal.requester_key)
    assert requester is not None
    outputs: dict[str, Any] = {}
    lines: list[str] = []
    blockers: list[str] = []
    spec_of = spec_lookup(app.registry)
    for step in view.steps:
        arg_list = _preview_args(step, outputs) if _previewable(app, step) else None
        if arg_list is None:
            continue
        key = f"deputy-preview{view.version.id}-{step.step_id}"
        try:
            results = [await call_with_credentials(app, requester, step.action, args, key) for args in arg_list]
        except PermanentError as err:
            # "No contact matches 'Quentin'": asking for approval would approve a failure
            blockers.append(f"{planner_words(step.note, step.action)}: {err}")
            continue
        except DeputyError as err:
            lines.append(f"step {step.position}: could not look it up yet ({err})")
            continue
        outputs[step.step_id] = {"results": results} if step.for_each else results[0]
        shown = read_lines(step, outputs[step.step_id], spec_of)
        if not shown and (summary := summarise_output(outputs[step.step_id])):
            shown = [f"step {step.position}: {summary}"]
        lines += shown
    writes = resolved_writes(app, view, outputs)
    lines += write_lines(view, writes, outputs, spec_of)
    blockers += nothing_to_do(view, writes, outputs)
    derived, derived_lines = await derive_writes(app, requester, writes, view.steps,
                                                 f"deputy-preview{view.version.id}-derived")
    lines += derived_lines
    note = ("Preview, looked up before approval:\n" + "\n".join(
        line if line.startswith("   ") else f"• {line}" for line in lines)) if lines else ""
    stored = {**outputs, KEY: derived} if derived else outputs
    async with app.database.session(team=view.goal.team_key) as session:
        await previews.save(session, view.version.id, stored, hash_of(writes, derived), note)
    return Preview(note=note, blockers=tuple(blockers), files=files_of(app.registry, view.steps, outputs))


class ApprovalVoid(Exception):
    """The writes of a run no longer resolve to what was approved: the run must stop and
    the plan be asked again (bot/flow/run_observer.py does both)."""

    def __init__(self, changed: list[int], approved: str, found: str, details: str) -> None:
        super().__init__(f"approval void at steps {changed}")
        self.changed, self.approved, self.found, self.details = changed, approved, found, details


async def approval_holds(app: Deputy, run_id: int, view: PlanView, step: StepRow,
                         outputs: Mapping[str, Any], requester: Actor) -> bool:
    """Called before each step of a run: before the first write, check that the writes
    resolve to what was approved, and derive what was approved. ApprovalVoid when they do
    not."""
    if not _is_write(app, step.action):
        return True
    writes = [s for s in view.steps if _is_write(app, s.action)]
    if any(s.step_id in outputs for s in writes):
        return True  # checked before the first write already
    async with app.database.session(team=view.goal.team_key) as session:
        preview = await previews.get(session, view.version.id or 0)
        done = await runs.step_results(session, run_id)
    if preview is None or any(s.step_id in done for s in writes):
        return True  # no preview was bound, or a resumed run already past its first write
    # the reads that ran in this run (normally all previewed ones; a read placed after the
    # first write has not run yet and is compared on the values the approvers saw)
    reads = _reads(preview.outputs)
    approved: dict[str, Any] = preview.outputs.get(KEY) or {}
    fresh = {sid: outputs[sid] for sid in reads if sid in outputs}
    before = resolved_writes(app, view, {sid: reads[sid] for sid in fresh})
    now = resolved_writes(app, view, fresh)
    derived, _ = await derive_writes(app, requester, now, view.steps, f"deputy-run{run_id}-derived")
    if len(fresh) == len(reads):
        holds = hash_of(now, derived) == preview.write_hash
    else:
        holds = hash_of(now) == hash_of(before) and not _derived_changes(view, approved, derived)
    if holds:
        return True
    changed = [s.position for s in view.steps if before.get(s.step_id) != now.get(s.step_id)]
    details = _derived_changes(view, approved, derived)
    changed += [n for n, _ in details if n not in changed]
    raise ApprovalVoid(sorted(changed), preview.write_hash, hash_of(now, derived),
                       "; ".join(text for _, text in details))


def _derived_changes(view: PlanView, approved: Mapping[str, Any],
                     derived: Mapping[str, Any]) -> list[tuple[int, str]]:
    """(step position, what changed) for each call whose derived values differ from the
    approved ones. Calls not looked up at approval are checked at their call instead."""
    found = []
    for step in view.steps:
        for was, now in zip(approved.get(step.step_id) or [], derived.get(step.step_id) or [], strict=False):
            if was is not None and now is not None and (text := difference(was, now)):
                found.append((step.position, f"step {step.position} ({step.action}): {text}"))
            elif was is not None and now is None:
                found.append((step.position, f"step {step.position} ({step.action}): it could not be looked up again"))
    return found


