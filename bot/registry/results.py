"""How an action's result is shown to people, declared in its manifest (``result:``), so
every integration — MCP tools included — renders without per-action code in the adapters.

    result:
      items: invoices              # the list in the output (omit: the output is one record;
                                   # a for-each step's items are its per-item outputs)
      noun: invoice                # "1 invoice", "3 invoices" (plural: when not noun + "s")
      columns:
        - {field: number}
        - {field: client}
        - {field: amount_cents, label: amount, format: money, currency: currency}
        - {field: due_on, label: due, format: date}
      total: {field: outstanding_cents, label: outstanding, format: money, currency: currency}
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

ColumnFormat = Literal["text", "money", "date", "datetime", "time", "hours", "days", "list", "count"]


class ResultColumn(BaseModel):
    field: str  # a dotted path inside one item
    label: str = ""
    format: ColumnFormat = "text"
    currency: str | None = None  # the item field holding the currency of a money column

    @property
    def header(self) -> str:
        return self.label or self.field.rsplit(".", 1)[-1].replace("_", " ")


class ResultSpec(BaseModel):
    items: str | None = None
    noun: str = "item"
    plural: str | None = None
    columns: list[ResultColumn] = Field(default_factory=list)
    total: ResultColumn | None = None

    def counted(self, count: int) -> str:
        """'1 invoice', '3 invoices', 'no invoices'."""
        many = self.plural or (self.noun[:-1] + "ies" if self.noun.endswith("y") and self.noun[-2:-1] not in "aeiou"
                               else self.noun + ("es" if self.noun.endswith(("s", "sh", "ch", "x")) else "s"))
        if count == 0:
            return f"no {many}"
        return f"1 {self.noun}" if count == 1 else f"{count:,} {many}"
