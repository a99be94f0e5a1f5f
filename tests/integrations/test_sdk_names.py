"""bot.sdk imports each public name at its first use (an integration's settings.py, read with
the settings before the shell's first prompt, must not load SQLAlchemy): every name it lists
is there, is the object its home module defines, and a misspelt one is an AttributeError."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import bot.sdk


@pytest.mark.parametrize("name", bot.sdk.__all__)
def test_every_listed_name_is_the_one_its_module_defines(name: str) -> None:
    home = bot.sdk._WHERE[name]
    assert getattr(bot.sdk, name) is getattr(importlib.import_module(home), name)


def test_the_lazy_table_lists_what_all_lists() -> None:
    assert sorted(bot.sdk._WHERE) == sorted(bot.sdk.__all__)


def test_a_misspelt_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="IntegrationSetings"):
        bot.sdk.IntegrationSetings  # noqa: B018 - the lookup is what is tested
    with pytest.raises(ImportError):
        exec("from bot.sdk import HttpAPI")


def test_the_settings_base_alone_loads_neither_sqlalchemy_nor_the_registry() -> None:
    probe = ("import sys; from bot.sdk import IntegrationSettings; "
             "print(sorted(m for m in ('sqlalchemy', 'sqlmodel', 'jsonschema', 'bot.registry', 'bot.store') "
             "if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip() == "[]"
