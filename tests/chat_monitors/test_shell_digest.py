"""The shell prints a digest as plain text: title, lines, footer, the ready plan to say."""

from __future__ import annotations

from bot.adapters.shell.render import render
from bot.chat.replies import Digest


def test_a_digest_in_the_terminal() -> None:
    digest = Digest(monitor_id=3, title="Overdue invoices", lines=("INV-1 Acme £120", "INV-2 Globex £80"),
                    footer="every Monday at 09:00 (Europe/London) · next Mon 30 Nov 09:00",
                    details_ref="run 42", offer="chase overdue invoices")
    assert render(digest).splitlines() == [
        "▣ Overdue invoices",
        "  • INV-1 Acme £120",
        "  • INV-2 Globex £80",
        "  every Monday at 09:00 (Europe/London) · next Mon 30 Nov 09:00 · details: run 42",
        "  → say: chase overdue invoices",
    ]
    quiet = render(Digest(monitor_id=3, title="t", lines=(), footer="f", details_ref="run 1"))
    assert "say:" not in quiet
