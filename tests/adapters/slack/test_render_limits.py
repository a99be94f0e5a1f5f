"""Every reply Deputy renders for Slack stays inside Block Kit's limits, checked by the same
validator the fake Web API applies (a refusal there is `invalid_blocks` in production)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.adapters.slack.modal import ModifyTarget, build_modal
from bot.adapters.slack.port import ChannelLimiter, SlackPort, ThreadBook, make_client
from bot.adapters.slack.render import modify_value, render
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
from bot.domain import Where
from tests.adapters.slack.conftest import slack_settings
from tests.fakes.block_kit import message_errors, view_errors
from tests.fakes.slack_api import FakeSlackApi

# slow (renders every reply kind many ways, about 30 s): `make test` runs it; `pytest -m "not slow"` leaves it out
pytestmark = pytest.mark.slow

# any text, including empty, whitespace-only, markup characters and long runs
texts = st.one_of(
    st.text(max_size=40),
    st.text(alphabet="<>&*_ \n", max_size=20),
    st.integers(min_value=0, max_value=9000).map(lambda n: "x" * n),
    st.integers(min_value=0, max_value=3000).map(lambda n: "&<" * n),
)


answers = st.lists(
    st.builds(
        Answer,
        title=texts,
        columns=st.just(("a", "b")),
        rows=st.lists(st.lists(texts, max_size=4).map(tuple), max_size=30).map(tuple),
        total=texts,
        run_id=st.just(7),
    ),
    max_size=30,
).map(tuple)


@st.composite
def steps(draw: st.DrawFn, number: int = 1) -> StepLine:
    args = draw(st.dictionaries(st.text(min_size=1, max_size=30), texts, max_size=4))
    return StepLine(
        number=number,
        step_id=f"s{number}",
        action=draw(texts),
        description=draw(texts),
        shown_args=args,
        args=args,
        effect="write",
        verdict=draw(st.sampled_from(["allow", "require_approval", "deny"])),
        reason=draw(texts),
        state=draw(st.sampled_from(list(StepState))),
        detail=draw(texts),
    )


BUTTONS = (
    Button("deputy:1:1:approve", "Approve", "primary"),
    Button("deputy:1:1:reject", "Reject", "danger"),
    Button("deputy:1:1:modify", "Modify"),
)


@st.composite
def cards(draw: st.DrawFn) -> PlanCard:
    return PlanCard(
        goal_id=1,
        plan_id=1,
        version=draw(st.integers(min_value=1, max_value=10_000)),
        goal_text=draw(texts),
        requester=draw(texts),
        summary=draw(texts),
        steps=tuple(draw(steps(n)) for n in range(1, draw(st.integers(0, 70)) + 1)),
        state=draw(st.sampled_from(list(CardState))),
        approvals_required=draw(st.integers(min_value=0, max_value=5)),
        approved_by=tuple(draw(st.lists(texts, max_size=5))),
        note=draw(texts),
        buttons=draw(st.sampled_from([(), BUTTONS])),
        denied=draw(st.booleans()),
    )


replies = st.one_of(
    cards(),
    st.builds(Notice, text=texts, tone=st.sampled_from(["info", "success", "warning", "error"])),
    st.builds(Question, text=texts),
    st.builds(
        RunResult,
        goal_id=st.just(1),
        run_id=st.just(1),
        succeeded=st.booleans(),
        headline=texts,
        lines=st.lists(texts, max_size=120).map(tuple),
        answers=answers,
    ),
    st.builds(
        Digest,
        monitor_id=st.integers(min_value=1, max_value=10**9),
        title=texts,
        lines=st.lists(texts, max_size=120).map(tuple),
        footer=texts,
        details_ref=st.just("run 42"),
        offer=texts,
        answers=answers,
    ),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(replies)
def test_every_rendered_reply_is_valid_block_kit(reply: Any) -> None:
    text, blocks = render(reply)
    assert message_errors(blocks) == []
    assert len(text) <= 40_000


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cards())
def test_the_modify_modal_of_any_card_is_a_valid_view(card: PlanCard) -> None:
    view = build_modal(modify_value(card), ModifyTarget(1, card.version, "C1", None))
    assert view_errors(view) == []


def _long_card() -> PlanCard:
    step = StepLine(
        number=1,
        step_id="s1",
        action="crm.create_note",
        description="d" * 4000,
        shown_args={"body": "b" * 5000},
        args={"body": "b" * 5000},
        effect="write",
        verdict="require_approval",
        reason="r" * 500,
    )
    many = tuple(
        StepLine(**{**step.__dict__, "number": n, "step_id": f"s{n}"}) for n in range(1, 121)
    )
    return PlanCard(
        goal_id=1,
        plan_id=1,
        version=1,
        goal_text="g" * 500,
        requester="Ana",
        summary="s" * 5000,
        steps=many,
        state=CardState.AWAITING,
        approvals_required=1,
        note="n" * 4000,
        buttons=BUTTONS,
    )


async def test_a_card_with_120_long_steps_is_accepted_by_slack(slack_api: FakeSlackApi) -> None:
    card = _long_card()
    _, blocks = render(card)
    assert len(blocks) == 50
    assert "more steps not shown" in blocks[-3]["text"]["text"]
    port = SlackPort(make_client(slack_settings(slack_api)), ChannelLimiter(0), ThreadBook())
    ref = await port.post(Where(platform="slack", channel_id="C1", thread_id=None), card)
    await port.update(ref, card)
    answers = [c.answer for c in slack_api.calls]
    assert [a and a["ok"] for a in answers] == [True, True], answers
