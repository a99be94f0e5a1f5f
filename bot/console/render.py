"""Jinja2 templates of the console (``bot/console/templates``), autoescaped, and the
headers every console page carries."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape

HERE = Path(__file__).parent
# scripts and styles only from the console itself; no frames; nothing leaks by Referer
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                               "script-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def _as_json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=str, ensure_ascii=False)


def _when(value: datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M:%S UTC")


def _took(start: datetime | None, end: datetime | None) -> str:
    if start is None or end is None:
        return ""
    seconds = (end - start).total_seconds()
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.1f} s"


ENV = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]),
                  enable_async=False, trim_blocks=True, lstrip_blocks=True)
ENV.filters["as_json"] = _as_json
ENV.filters["when"] = _when
ENV.globals["took"] = _took


def html(template: str, status: int = 200, **context: Any) -> web.Response:
    body = ENV.get_template(template).render(**context)
    return web.Response(text=body, status=status, content_type="text/html", headers=HEADERS)


def fragment(template: str, **context: Any) -> str:
    return ENV.get_template(template).render(**context)
