"""The plan card while its run progresses: redrawn at most once per
``DEPUTY_CARD_EDIT_SECONDS`` (1 s) per plan, and only by a process with a chat port for the
goal's platform.

Steps finish far faster than a person reads, and every redraw reads the plan from the
database and edits a chat message (a rate-limited call): so the first progress of a run is
drawn at once, later ones within the interval are coalesced into one redraw at its end (it
reads the state as it is then, so nothing is lost), and the run's end is always drawn, after
any redraw under way, so the last edit shows the final state. A process without a port for
the platform (a worker started without the Slack token) draws nothing: the card could not
be posted, and the run's result says so through the port that has no settings.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.flow.card_refresh import refresh_card
from bot.store.goals import PlanView

if TYPE_CHECKING:
    from bot.core.deputy import Deputy

log = logging.getLogger(__name__)

@dataclass
class _Plan:
    last: float = float("-inf")  # when its latest edit was made
    waiting: asyncio.Task[None] | None = None  # a redraw due at the interval's end
    # one redraw at a time, each waiting for the one before: the interval runs from the
    # end of the previous edit, however long its reads took (under load they take a while,
    # and a redraw timed from the start of the one under way came too soon after it)
    drawing: asyncio.Lock = field(default_factory=asyncio.Lock)


@dataclass
class CardPacer:
    now: Callable[[], float] = time.monotonic
    _plans: dict[int, _Plan] = field(default_factory=dict)

    async def progressed(self, app: Deputy, view: PlanView) -> None:
        """A step finished (or the run started): redraw now, or once the interval is over."""
        if view.goal.platform not in app.ports:
            return
        assert view.plan.id is not None
        plan = self._plans.setdefault(view.plan.id, _Plan())
        if plan.waiting is not None:
            return  # the redraw already due reads the state as it will be then
        if plan.drawing.locked() or plan.last + app.settings.card_edit_seconds > self.now():
            plan.waiting = asyncio.create_task(self._later(app, view, plan))
            return
        async with plan.drawing:
            await self._draw(app, view, plan)

    async def finished(self, app: Deputy, view: PlanView) -> None:
        """The run is over: its final state is drawn now, after any redraw under way."""
        assert view.plan.id is not None
        plan = self._plans.pop(view.plan.id, None)
        if plan is not None and plan.waiting is not None:
            plan.waiting.cancel()  # not started drawing (it clears ``waiting`` first)
        if view.goal.platform not in app.ports:
            return
        if plan is None:
            await refresh_card(app, view.plan.id, view.version.version, team=view.goal.team_key)
            return
        async with plan.drawing:
            await refresh_card(app, view.plan.id, view.version.version, team=view.goal.team_key)

    async def _later(self, app: Deputy, view: PlanView, plan: _Plan) -> None:
        try:
            async with plan.drawing:
                # ``last`` changes only under this lock: it is final here
                wait = plan.last + app.settings.card_edit_seconds - self.now()
                if wait > 0:
                    await asyncio.sleep(wait)
                plan.waiting = None  # progress from now on needs a redraw of its own
                await self._draw(app, view, plan)
        except Exception:
            # a background redraw has nobody to report to; the next one (at the latest the
            # final one) draws the card again from the database
            log.warning("redrawing the card of plan %s failed", view.plan.id, exc_info=True)

    async def _draw(self, app: Deputy, view: PlanView, plan: _Plan) -> None:
        assert view.plan.id is not None
        await refresh_card(app, view.plan.id, view.version.version, team=view.goal.team_key)
        plan.last = self.now()  # the interval runs from the edit, however long the reads took
