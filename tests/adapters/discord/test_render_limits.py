"""Every reply Deputy renders for Discord stays inside Discord's limits, checked by the same
validator the fake Discord applies (a refusal there is 50035 Invalid Form Body in production)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.adapters.discord.render import render
from bot.chat.replies import (
    Answer,
    Button,
    CardState,
    Digest,
    Notice,
    PlanCard,
    Question,
    RunResult,
    StepLine,
    StepState,
)
from tests.fakes.discord_limits import message_errors

# slow (renders every reply kind many ways, about 30 s): `make test` runs it; `pytest -m "not slow"` leaves it out
pytestmark = pytest.mark.slow

texts = st.one_of(
    st.text(max_size=40),
    st.text(alphabet="*_`~|> \n", max_size=20),
    st.integers(min_value=0, max_value=7000).map(lambda n: "x" * n),
    st.integers(min_value=0, max_value=2000).map(lambda n: "*_" * n),
)
rows = st.lists(st.lists(texts, max_size=4).map(tuple), max_size=30).map(tuple)
answers = st.lists(
    st.builds(Answer, title=texts, columns=st.just(("a", "b")), rows=rows, total=texts, run_id=st.just(7)),
    max_size=8,
).map(tuple)


@st.composite
def cards(draw: st.DrawFn) -> PlanCard:
    count = draw(st.integers(min_value=0, max_value=40))
    steps = tuple(
        StepLine(
            number=n,
            step_id=f"s{n}",
            action=draw(texts),
            description=draw(texts),
            shown_args=(args := draw(st.dictionaries(st.from_regex(r"[a-z_]{1,12}", fullmatch=True), texts, max_size=3))),
            args=args,
            effect="write",
            verdict=draw(st.sampled_from(["allow", "require_approval", "deny"])),
            reason=draw(texts),
            state=draw(st.sampled_from(list(StepState))),
            detail=draw(texts),
        )
        for n in range(1, count + 1)
    )
    return PlanCard(
        goal_id=1, plan_id=1, version=draw(st.integers(1, 10_000)), goal_text=draw(texts),
        requester=draw(texts), summary=draw(texts), steps=steps,
        state=draw(st.sampled_from(list(CardState))), approvals_required=1,
        approved_by=tuple(draw(st.lists(texts, max_size=4))), note=draw(texts),
        buttons=(Button("deputy:1:1:approve", "Approve", "primary"), Button("deputy:1:1:reject", "x" * 100)),
    )


replies = st.one_of(
    cards(),
    st.builds(Notice, text=texts),
    st.builds(Question, text=texts),
    st.builds(RunResult, goal_id=st.just(1), run_id=st.just(1), succeeded=st.booleans(),
              headline=texts, lines=st.lists(texts, max_size=60).map(tuple), answers=answers),
    st.builds(Digest, monitor_id=st.integers(1, 10**9), title=texts,
              lines=st.lists(texts, max_size=60).map(tuple), footer=texts,
              details_ref=st.just("run 42"), offer=texts, answers=answers),
)


def body_of(reply: Any) -> dict[str, Any]:
    parts = render(reply)
    body: dict[str, Any] = {}
    if parts.content is not None:
        body["content"] = parts.content
    if parts.embed is not None:
        body["embeds"] = [parts.embed.to_dict()]
    if parts.view is not None:
        body["components"] = parts.view.to_components()
    return body


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(replies)
def test_every_rendered_reply_is_within_discords_limits(reply: Any) -> None:
    assert message_errors(body_of(reply)) == {}


def test_a_digest_with_long_answers_and_an_offer_fits_the_embed_total() -> None:
    answer = Answer(title="t" * 250, columns=("a",), rows=tuple(("r" * 90,) for _ in range(10)),
                    total="9" * 50, run_id=7)
    digest = Digest(monitor_id=1, title="T" * 256, lines=("line",) * 50, footer="f" * 900,
                    details_ref="run 7", offer="o" * 1100, answers=(answer,) * 6)
    assert message_errors(body_of(digest)) == {}
