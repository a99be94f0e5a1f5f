"""Discord's limits on a message or a modal, reported the way Discord answers them.

A refused body gets 400 ``{"code": 50035, "message": "Invalid Form Body", "errors": {...}}``
where ``errors`` mirrors the body's shape down to the offending value, e.g.
``{"content": {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 2000 or
fewer in length."}]}}``. Limits from Discord's API reference: content 2,000 characters; 10
embeds, each with a title of 256, a description of 4,096, 25 fields (name 256, value 1,024),
a footer of 2,048 and an author name of 256, and 6,000 characters over all embeds of a
message; a nonce of 25; 5 action rows of 5 buttons, button labels 80, custom_id 1–100 and unique; a modal
has a title of 45, 1–5 text inputs (label 45, placeholder 100, value and max_length 4,000).
"""

from __future__ import annotations

import re
from typing import Any

Errors = dict[str, Any]


class Report:
    def __init__(self) -> None:
        self.errors: Errors = {}

    def add(self, path: list[str | int], code: str, message: str) -> None:
        node = self.errors
        for part in path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def at_most(self, value: Any, limit: int, path: list[str | int]) -> None:
        if isinstance(value, str | list) and len(value) > limit:
            self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")

    def custom_id(self, value: Any, path: list[str | int]) -> None:
        if not isinstance(value, str) or not value:
            self.add(path, "BASE_TYPE_REQUIRED", "This field is required")
        else:
            self.at_most(value, 100, path)


def _embed_size(embed: dict[str, Any]) -> int:
    size = len(embed.get("title") or "") + len(embed.get("description") or "")
    size += sum(len(f.get("name") or "") + len(f.get("value") or "") for f in embed.get("fields") or [])
    size += len((embed.get("footer") or {}).get("text") or "")
    return size + len((embed.get("author") or {}).get("name") or "")


def message_errors(body: Any, prefix: list[str | int] | None = None) -> Errors:
    """The errors of a message body (create, edit, callback data, follow-up); {} when valid."""
    report = Report()
    path = prefix or []
    if not isinstance(body, dict):
        return report.errors
    report.at_most(body.get("content"), 2000, [*path, "content"])
    report.at_most(body.get("nonce"), 25, [*path, "nonce"])  # a create's only: "up to 25 characters"
    embeds = body.get("embeds") or []
    report.at_most(embeds, 10, [*path, "embeds"])
    for n, embed in enumerate(embeds[:10]):
        at: list[str | int] = [*path, "embeds", n]
        report.at_most(embed.get("title"), 256, [*at, "title"])
        report.at_most(embed.get("description"), 4096, [*at, "description"])
        fields = embed.get("fields") or []
        report.at_most(fields, 25, [*at, "fields"])
        for i, f in enumerate(fields):
            report.at_most(f.get("name"), 256, [*at, "fields", i, "name"])
            report.at_most(f.get("value"), 1024, [*at, "fields", i, "value"])
        report.at_most((embed.get("footer") or {}).get("text"), 2048, [*at, "footer", "text"])
        report.at_most((embed.get("author") or {}).get("name"), 256, [*at, "author", "name"])
    if sum(_embed_size(e) for e in embeds if isinstance(e, dict)) > 6000:
        report.add([*path, "embeds"], "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")
    rows = body.get("components") or []
    report.at_most(rows, 5, [*path, "components"])
    seen: set[str] = set()
    for r, row in enumerate(rows):
        inner = row.get("components") or []
        report.at_most(inner, 5, [*path, "components", r, "components"])
        for c, component in enumerate(inner):
            at = [*path, "components", r, "components", c]
            report.at_most(component.get("label"), 80, [*at, "label"])
            if component.get("style") != 5:  # link buttons carry a url, not a custom_id
                report.custom_id(component.get("custom_id"), [*at, "custom_id"])
                if component.get("custom_id") in seen:
                    report.add(
                        [*at, "custom_id"],
                        "COMPONENT_CUSTOM_ID_DUPLICATED",
                        "Component custom id cannot be duplicated",
                    )
                seen.add(str(component.get("custom_id")))
    return report.errors


ARCHIVE_MINUTES = (60, 1440, 4320, 10080)
COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")


def thread_errors(body: Any) -> Errors:
    """A new thread: a name of 1–100 characters, an archive duration Discord offers."""
    report = Report()
    name = body.get("name") if isinstance(body, dict) else None
    if not isinstance(name, str) or not 1 <= len(name) <= 100:
        report.add(["name"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
    duration = body.get("auto_archive_duration") if isinstance(body, dict) else None
    if duration is not None and duration not in ARCHIVE_MINUTES:
        report.add(
            ["auto_archive_duration"],
            "BASE_TYPE_CHOICES",
            "Value must be one of {60, 1440, 4320, 10080}.",
        )
    return report.errors


def command_errors(commands: Any) -> Errors:
    """Application commands as synced: lower-case names of 1–32, descriptions of 1–100."""
    report = Report()
    for n, command in enumerate(commands if isinstance(commands, list) else []):
        items: list[tuple[list[str | int], dict[str, Any]]] = [([n], command)]
        items += [([n, "options", i], o) for i, o in enumerate(command.get("options") or [])]
        for path, item in items:
            name = str(item.get("name") or "")
            if not COMMAND_NAME.match(name) or name != name.lower():
                report.add([*path, "name"], "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
            description = item.get("description")
            if command.get("type", 1) == 1 and (
                not isinstance(description, str) or not 1 <= len(description) <= 100
            ):
                report.add(
                    [*path, "description"],
                    "BASE_TYPE_BAD_LENGTH",
                    "Must be between 1 and 100 in length.",
                )
        report.at_most(command.get("options") or [], 25, [n, "options"])
    return report.errors


def modal_errors(data: Any) -> Errors:
    """The errors of a modal (interaction callback type 9), under ``data``."""
    report = Report()
    if not isinstance(data, dict):
        report.add(["data"], "BASE_TYPE_REQUIRED", "This field is required")
        return report.errors
    report.at_most(data.get("title"), 45, ["data", "title"])
    report.custom_id(data.get("custom_id"), ["data", "custom_id"])
    rows = data.get("components") or []
    if not rows:
        report.add(["data", "components"], "BASE_TYPE_MIN_LENGTH", "Must be 1 or more in length.")
    report.at_most(rows, 5, ["data", "components"])
    for r, row in enumerate(rows):
        inputs = list(row.get("components") or []) + ([row["component"]] if "component" in row else [])
        for c, text_input in enumerate(inputs):
            at: list[str | int] = ["data", "components", r, "components", c]
            report.custom_id(text_input.get("custom_id"), [*at, "custom_id"])
            report.at_most(text_input.get("label"), 45, [*at, "label"])
            report.at_most(text_input.get("placeholder"), 100, [*at, "placeholder"])
            most = min(int(text_input.get("max_length") or 4000), 4000)
            report.at_most(text_input.get("value"), most, [*at, "value"])
            if int(text_input.get("max_length") or 0) > 4000:
                report.add([*at, "max_length"], "NUMBER_TYPE_MAX", "int value should be <= 4000.")
    return report.errors
