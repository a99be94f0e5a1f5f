"""Block Kit validation as Slack applies it, for the fake Web API.

Each problem is reported the way Slack words it in ``response_metadata.messages``:
``[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]``. The limits
are Slack's Block Kit reference: 50 blocks in a message, 100 in a modal; section text 3,000
characters and 10 fields of 2,000; header text 150; block_id and action_id 255; button text 75
(plain text), value 2,000, url 3,000; 25 elements in an actions block, 10 in a context block;
input labels and hints 2,000; modal title, submit and close 24, private_metadata 3,000,
callback_id 255.
"""

from __future__ import annotations

from typing import Any

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
BLOCK_TYPES = frozenset(
    "actions context divider file header image input markdown rich_text section video".split()
)


class Checker:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def fail(self, message: str, pointer: str) -> None:
        self.errors.append(f"[ERROR] {message} [json-pointer:{pointer}]")

    def length(self, value: Any, limit: int, pointer: str) -> None:
        if isinstance(value, str) and len(value) > limit:
            self.fail(f"must be less than {limit + 1} characters", pointer)

    def text(self, obj: Any, pointer: str, limit: int, plain_only: bool = False) -> None:
        if not isinstance(obj, dict):
            self.fail("must be an object", pointer)
            return
        kinds = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
        if obj.get("type") not in kinds:
            self.fail(f"must be one of {', '.join(kinds)}", f"{pointer}/type")
        text = obj.get("text")
        if not isinstance(text, str) or not text:
            self.fail("must be more than 0 characters", f"{pointer}/text")
        else:
            self.length(text, limit, f"{pointer}/text")

    def element(self, el: Any, pointer: str) -> None:
        if not isinstance(el, dict):
            self.fail("must be an object", pointer)
            return
        self.length(el.get("action_id"), 255, f"{pointer}/action_id")
        kind = el.get("type")
        if kind == "button":
            self.text(el.get("text"), f"{pointer}/text", 75, plain_only=True)
            self.length(el.get("value"), 2000, f"{pointer}/value")
            self.length(el.get("url"), 3000, f"{pointer}/url")
            if "style" in el and el["style"] not in ("primary", "danger"):
                self.fail("must be one of primary, danger", f"{pointer}/style")
        elif kind == "plain_text_input":
            self.length(el.get("initial_value"), 3000, f"{pointer}/initial_value")
            if "placeholder" in el:
                self.text(el["placeholder"], f"{pointer}/placeholder", 150, plain_only=True)
        elif kind in ("static_select", "multi_static_select"):
            options = el.get("options") or []
            if len(options) > 100:
                self.fail("no more than 100 items allowed", f"{pointer}/options")
            for n, option in enumerate(options):
                self.text(option.get("text"), f"{pointer}/options/{n}/text", 75)
                self.length(option.get("value"), 150, f"{pointer}/options/{n}/value")

    def block(self, block: Any, pointer: str) -> None:
        if not isinstance(block, dict):
            self.fail("must be an object", pointer)
            return
        kind = block.get("type")
        if kind not in BLOCK_TYPES:
            self.fail(f"unsupported type: {kind}", f"{pointer}/type")
            return
        self.length(block.get("block_id"), 255, f"{pointer}/block_id")
        if kind == "section":
            if "text" not in block and "fields" not in block:
                self.fail("must provide either text or fields", pointer)
            if "text" in block:
                self.text(block["text"], f"{pointer}/text", 3000)
            fields = block.get("fields") or []
            if len(fields) > 10:
                self.fail("no more than 10 items allowed", f"{pointer}/fields")
            for n, f in enumerate(fields):
                self.text(f, f"{pointer}/fields/{n}", 2000)
            if "accessory" in block:
                self.element(block["accessory"], f"{pointer}/accessory")
        elif kind == "header":
            self.text(block.get("text"), f"{pointer}/text", 150, plain_only=True)
        elif kind in ("actions", "context"):
            elements = block.get("elements")
            most = 25 if kind == "actions" else 10
            if not isinstance(elements, list) or not elements:
                self.fail("must provide at least 1 item", f"{pointer}/elements")
                return
            if len(elements) > most:
                self.fail(f"no more than {most} items allowed", f"{pointer}/elements")
            seen: set[str] = set()
            for n, el in enumerate(elements):
                if kind == "context":
                    if isinstance(el, dict) and el.get("type") in ("plain_text", "mrkdwn"):
                        self.text(el, f"{pointer}/elements/{n}", 3000)
                    continue
                self.element(el, f"{pointer}/elements/{n}")
                action_id = el.get("action_id") if isinstance(el, dict) else None
                if action_id in seen:
                    self.fail(f"duplicate action_id: {action_id}", f"{pointer}/elements/{n}")
                if action_id:
                    seen.add(action_id)
        elif kind == "input":
            self.text(block.get("label"), f"{pointer}/label", 2000, plain_only=True)
            if "hint" in block:
                self.text(block["hint"], f"{pointer}/hint", 2000, plain_only=True)
            if "element" not in block:
                self.fail("missing required field: element", pointer)
            else:
                self.element(block["element"], f"{pointer}/element")

    def blocks(self, blocks: Any, pointer: str, most: int) -> None:
        if not isinstance(blocks, list):
            self.fail("must be an array", pointer)
            return
        if len(blocks) > most:
            self.fail(f"no more than {most} items allowed", pointer)
        ids: set[str] = set()
        for n, block in enumerate(blocks):
            self.block(block, f"{pointer}/{n}")
            block_id = block.get("block_id") if isinstance(block, dict) else None
            if block_id in ids:
                self.fail(f"duplicate block_id: {block_id}", f"{pointer}/{n}/block_id")
            if block_id:
                ids.add(block_id)


def message_errors(blocks: Any) -> list[str]:
    checker = Checker()
    checker.blocks(blocks, "/blocks", MAX_MESSAGE_BLOCKS)
    return checker.errors


def view_errors(view: Any) -> list[str]:
    checker = Checker()
    if not isinstance(view, dict):
        checker.fail("must be an object", "/view")
        return checker.errors
    if view.get("type") not in ("modal", "home"):
        checker.fail("must be one of modal, home", "/view/type")
    if view.get("type") == "modal":
        checker.text(view.get("title"), "/view/title", 24, plain_only=True)
        for part in ("submit", "close"):
            if part in view:
                checker.text(view[part], f"/view/{part}", 24, plain_only=True)
        blocks = view.get("blocks") or []
        if "submit" not in view and any(
            isinstance(b, dict) and b.get("type") == "input" for b in blocks
        ):
            checker.fail("must provide submit when the view has input blocks", "/view/submit")
    checker.length(view.get("private_metadata"), 3000, "/view/private_metadata")
    checker.length(view.get("callback_id"), 255, "/view/callback_id")
    checker.length(view.get("external_id"), 255, "/view/external_id")
    checker.blocks(view.get("blocks"), "/view/blocks", MAX_VIEW_BLOCKS)
    return checker.errors
