"""Block Kit rendering stays inside Slack's limits and never lets user text become markup."""

from __future__ import annotations

import json

from bot.adapters.slack.modal import ModifyTarget, build_modal
from bot.adapters.slack.render import MAX_BLOCKS, render
from bot.chat.replies import Notice, RunResult
from tests.adapters.slack import cards


def sections(blocks: list[dict]) -> list[str]:
    return [b["text"]["text"] for b in blocks if b["type"] == "section"]


def test_a_long_plan_is_cut_to_50_blocks_and_says_so() -> None:
    _, blocks = render(cards.card(count=80))
    assert len(blocks) == MAX_BLOCKS
    assert blocks[-1]["type"] == "actions" and blocks[-2]["type"] == "context"
    assert any("more steps not shown" in t for t in sections(blocks))
    assert all(len(t) <= 3000 for t in sections(blocks))


def test_a_huge_argument_is_clipped() -> None:
    big = cards.step(1, shown_args={"body": "x" * 10_000}, description="y" * 5000)
    _, blocks = render(cards.card(steps=(big,)))
    assert all(len(t) <= 3000 for t in sections(blocks))
    assert len(blocks[0]["text"]["text"]) <= 150


def test_user_text_cannot_ping_the_channel() -> None:
    _, blocks = render(cards.card(goal_text="hi", summary="<!channel> pay <https://evil|here>"))
    joined = "\n".join(sections(blocks))
    assert "<!channel>" not in joined and "&lt;!channel&gt;" in joined
    assert "<https://evil" not in joined


def test_card_shows_steps_verdicts_and_approvals() -> None:
    text, blocks = render(cards.card(approved_by=("Bo Ss",), approvals_required=2))
    joined = "\n".join(sections(blocks))
    assert "*1. local.create_invoice* — Create an invoice" in joined
    assert "• client: Acme" in joined and "• amount: 1200" in joined
    assert "_needs approval: writes need one approval_" in joined
    [context] = [b for b in blocks if b["type"] == "context"]
    assert context["elements"][0]["text"] == "Asked by anna.b · approvals 1/2 (Bo Ss)"
    assert "awaiting approval" in text


def test_modify_button_carries_literal_args_within_2000_chars() -> None:
    many = tuple(cards.step(n, args={f"k{i}": "v" * 40 for i in range(20)}) for n in range(1, 6))
    _, blocks = render(cards.card(steps=many))
    [actions] = [b for b in blocks if b["type"] == "actions"]
    [modify] = [e for e in actions["elements"] if e["action_id"].endswith(":modify")]
    assert len(modify["value"]) <= 2000
    data = json.loads(modify["value"])
    assert data["more"] is True and data["e"][0] == [1, "k0", "v" * 40]
    view = build_modal(modify["value"], ModifyTarget(7, 1, "C1", "1.1"))
    assert "not shown here" in view["blocks"][0]["text"]["text"]
    assert len(view["title"]["text"]) <= 24


def test_references_to_other_steps_are_not_editable() -> None:
    _, blocks = render(cards.card(count=1))
    [actions] = [b for b in blocks if b["type"] == "actions"]
    value = json.loads(actions["elements"][1]["value"])
    assert value == {"e": [[1, "client", "Acme"], [1, "amount", "1200"]]}


def test_notice_and_result() -> None:
    text, blocks = render(Notice("Plan v1 is superseded by v2.", "warning"))
    assert text == "Plan v1 is superseded by v2." and sections(blocks) == ["⚠️ Plan v1 is superseded by v2."]
    lines = tuple(f"invoice {n}: sent" for n in range(500))
    text, blocks = render(RunResult(goal_id=1, run_id=2, succeeded=False, headline="Step 2 failed", lines=lines))
    assert sections(blocks)[0] == "❌ *Step 2 failed*"
    assert len(blocks) > 2 and all(len(t) <= 3000 for t in sections(blocks))
    assert "invoice 499: sent" in "\n".join(sections(blocks))


def test_a_digest_is_a_header_lines_a_footer_and_a_button_for_the_ready_plan() -> None:
    from bot.chat.replies import Digest

    digest = Digest(monitor_id=3, title="Overdue <invoices>", lines=("INV-1 Acme £120", "INV-2 Globex £80"),
                    footer="every Monday at 09:00 (Europe/London) · next Mon 30 Nov 09:00",
                    details_ref="run 42", offer="chase overdue invoices")
    text, blocks = render(digest)
    assert text == "Overdue &lt;invoices&gt;"  # the fallback is parsed like mrkdwn: escaped too
    assert [b["type"] for b in blocks] == ["header", "section", "context", "actions"]
    assert blocks[0]["text"]["text"] == "Overdue <invoices>"  # plain_text: shown, never parsed
    assert sections(blocks) == ["• INV-1 Acme £120\n• INV-2 Globex £80"]
    assert "next Mon 30 Nov 09:00" in blocks[2]["elements"][0]["text"]
    assert "deputy runs show 42" in blocks[2]["elements"][0]["text"]
    [button] = blocks[3]["elements"]
    assert button["value"] == "chase overdue invoices" and button["style"] == "primary"
    quiet = render(Digest(monitor_id=3, title="t", lines=(), footer="f", details_ref="run 1"))[1]
    assert [b["type"] for b in quiet] == ["header", "context"]  # nothing to offer: no button
