"""Derived values: what a write will do that its arguments do not say, shown and bound.

``send_reminder(invoice_id=7)`` sends to the client's billing email, which the integration
looks up inside the call; ``create_invoice`` bills an amount computed from time entries.
A manifest declares how to look these up (``derived:`` on the write action: a read action
and the fields of its result that matter, see bot/registry/manifest.py).

- Before approval, the preview looks them up for every write call whose arguments it can
  resolve, shows them on the card and puts them in the hash the approval is bound to
  (bot/flow/previews.py).
- Before each write call, the executor looks them up again with the call's real arguments.
  A value that differs from what was approved stops the run before that call (nothing is
  sent) and the plan is asked again. A call whose arguments were not known at approval (it
  uses what an earlier write returns) may only send to addresses the approver saw on the
  card; anything else stops it the same way.

The look-up and the write are two calls, so a change in the instant between them is not
caught; everything changed before the look-up is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from bot.domain import Actor
from bot.errors import DatabaseUnavailable, DeputyError
from bot.execution.executor import call_with_credentials
from bot.flow.answers import money
from bot.lazy_re import lazy
from bot.planning.refs import RefError, is_ref
from bot.registry.manifest import Derived
from bot.store import previews

if TYPE_CHECKING:
    from bot.core.deputy import Deputy
    from bot.store.goals import PlanView
    from bot.store.tables import StepRow

RECIPIENTS = "recipients"
KEY = "$derived"  # where a preview's outputs keep the derived values, per write step and call


class DerivedUnknown(Exception):
    """The write's arguments are not known yet, so neither is what it derives."""


def spec_of(app: Deputy, action: str) -> Derived | None:
    spec = app.registry.spec(action)
    return spec.derived if spec is not None else None


def _pick(value: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        else:
            return None
    return value


def _fill(template: Any, args: Mapping[str, Any]) -> Any:
    if isinstance(template, str) and template.startswith("$args."):
        value = _pick(args, template.removeprefix("$args."))
        if value is None:
            raise RefError(f"{template} is not given")
        return value
    if isinstance(template, dict):
        return {k: _fill(v, args) for k, v in template.items()}
    return template


def _unresolved(value: Any) -> bool:
    if is_ref(value) or (isinstance(value, dict) and "$missing" in value):
        return True
    if isinstance(value, dict):
        return any(_unresolved(v) for v in value.values())
    if isinstance(value, list):
        return any(_unresolved(v) for v in value)
    return False


def _normal(label: str, value: Any) -> Any:
    if label != RECIPIENTS:
        return value
    items = value if isinstance(value, list) else [value] if value else []
    return sorted({str(v).strip().lower() for v in items if v})


async def derive(app: Deputy, requester: Actor, action: str, args: Mapping[str, Any], key: str) -> dict[str, Any] | None:
    """The derived values of one write call, looked up now; None when it declares none.
    DerivedUnknown when its arguments still hold references."""
    derived = spec_of(app, action)
    if derived is None:
        return None
    if _unresolved(args):
        raise DerivedUnknown(action)
    try:
        call_args = _fill(derived.args, args)
    except RefError as err:
        raise DerivedUnknown(action) from err
    integration = action.split(".", 1)[0]
    result = await call_with_credentials(app, requester, f"{integration}.{derived.action}", call_args, key)
    return {label: _normal(label, _pick(result, path)) for label, path in derived.values.items()}


async def derive_writes(app: Deputy, requester: Actor, writes: Mapping[str, Any], steps: Iterable[Any],
                        key: str) -> tuple[dict[str, list[dict[str, Any] | None]], list[str]]:
    """For each write step that declares derived values: per call, the values looked up now
    (None when not known yet); and the card's lines saying them."""
    found: dict[str, list[dict[str, Any] | None]] = {}
    lines: list[str] = []
    for step in steps:
        if step.step_id not in writes or spec_of(app, step.action) is None:
            continue
        calls = writes[step.step_id]
        calls = calls if isinstance(calls, list) and step.for_each else [calls]
        values: list[dict[str, Any] | None] = []
        for index, call in enumerate(calls):
            try:
                values.append(await derive(app, requester, step.action, call, f"{key}-{step.step_id}-{index}"))
            except DerivedUnknown:
                values.append(None)
            except DatabaseUnavailable:
                raise  # not a look-up that failed: nothing can be decided while it is away
            except DeputyError as err:
                values.append(None)
                lines.append(f"step {step.position} ({step.action}): could not look up what it will do ({err})")
        found[step.step_id] = values
        known = [v for v in values if v is not None]
        if known:
            shown = "; ".join(describe(v) for v in known[:5])
            more = f" and {len(known) - 5} more" if len(known) > 5 else ""
            lines.append(f"step {step.position} ({step.action}) looked up: {shown}{more}"[:500])
        if len(known) < len(values):
            lines.append(f"step {step.position} ({step.action}): what it sends to is looked up when it runs; "
                         "it stops unless every address is one shown here")
    return found, lines


def describe(values: Mapping[str, Any]) -> str:
    """In people's terms: 'to billing@acme.example, 9,300.00 USD' rather than cents."""
    parts = []
    currency = values.get("currency") if isinstance(values.get("currency"), str) else None
    for label, value in values.items():
        if label == RECIPIENTS:
            parts.append("to " + (", ".join(value) if value else "nobody"))
        elif label.endswith("_cents") and isinstance(value, int):
            parts.append(f"{label.removesuffix('_cents').replace('_', ' ')} {money(value, currency)}")
        elif label == "currency" and currency:
            continue
        else:
            parts.append(f"{label.replace('_', ' ')} {value}")
    return ", ".join(parts)


def addresses_in(value: Any) -> set[str]:
    """Every string that looks like an address anywhere in ``value``, lower-cased."""
    if isinstance(value, str):
        return {value.strip().lower()} if "@" in value and " " not in value.strip() else set()
    if isinstance(value, Mapping):
        return set().union(*(addresses_in(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(addresses_in(v) for v in value)) if value else set()
    return set()


def difference(approved: Mapping[str, Any], now: Mapping[str, Any]) -> str:
    """Words for what changed between two look-ups of one call; empty when nothing did."""
    changed = []
    for label in sorted(set(approved) | set(now)):
        before, after = approved.get(label), now.get(label)
        if before != after:
            if label == RECIPIENTS:
                changed.append(f"it would now send to {', '.join(after or []) or 'nobody'} "
                               f"(approved: {', '.join(before or []) or 'nobody'})")
            else:
                changed.append(f"{label} is now {after} (approved: {before})")
    return "; ".join(changed)


def unseen(now: Mapping[str, Any], seen: set[str]) -> list[str]:
    return [a for a in now.get(RECIPIENTS) or [] if a not in seen]


_ADDRESS = lazy(r"[^\s,;:<>()\[\]\"']+@[^\s,;:<>()\[\]\"']+")


async def call_problem(app: Deputy, run_id: int, view: PlanView, step: StepRow, index: int,
                       args: Mapping[str, Any], requester: Actor) -> str | None:
    """Just before one write call: None when what it derives is what was approved; else why
    not. Without a stored preview nobody was shown values (read-only or autopilot runs)."""
    if spec_of(app, step.action) is None:
        return None
    async with app.database.session(team=view.goal.team_key) as session:
        preview = await previews.get(session, view.version.id or 0)
    if preview is None:
        return None
    approved = (preview.outputs.get(KEY) or {}).get(step.step_id) or []
    was = approved[index] if index < len(approved) else None
    try:
        now = await derive(app, requester, step.action, args, f"deputy-run{run_id}-{step.step_id}-{index}-derived")
    except DatabaseUnavailable:
        raise  # not the step's failure: the worker's claim lapses and the run resumes later
    except DeputyError as err:
        return f"what it would do could not be looked up again ({err})"
    if now is None:
        return None
    if was is not None:
        return difference(was, now) or None
    # not known at approval (it uses what an earlier write returned): it may only reach
    # addresses the approvers saw — on the card (its note), in the plan, or looked up
    seen = addresses_in(preview.outputs.get(KEY) or {}) | addresses_in([s.args for s in view.steps])
    seen |= {m.lower() for m in _ADDRESS.findall(preview.note)}
    missing = unseen(now, seen)
    if missing:
        return f"it would send to {', '.join(missing)}, an address the approval did not show"
    return None
