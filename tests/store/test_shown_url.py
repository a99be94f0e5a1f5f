"""The shell's banner shows the configured database URL without SQLAlchemy (it comes before the
store is imported); its password is hidden exactly where SQLAlchemy's shown_url hides it."""

from __future__ import annotations

import pytest
from sqlalchemy import make_url

from bot.settings.model import shown_url

URLS = [
    "sqlite:///.deputy/deputy.db",
    "sqlite:////var/lib/deputy/deputy.db",
    "postgresql://postgres:secret@127.0.0.1:5432/deputy",
    "postgresql+psycopg://deputy:s3cr%40t@db.example.com/deputy?sslmode=require",
    "postgresql://deputy@db/deputy",
    "postgresql://deputy:@db/deputy",
]


@pytest.mark.parametrize("url", URLS)
def test_the_password_is_hidden_as_sqlalchemy_hides_it(url: str) -> None:
    shown = shown_url(url)
    assert "secret" not in shown and "s3cr" not in shown
    assert make_url(shown) == make_url(make_url(url).render_as_string(hide_password=True))
