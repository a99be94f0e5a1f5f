"""Reading the settings: environment variables (``DEPUTY_…``) and an optional deputy.toml.

An invalid value stops start-up with one line naming the setting (:func:`load_settings`);
a misspelt ``DEPUTY_`` variable is named rather than ignored.
"""

from __future__ import annotations

import difflib
import logging
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError
from pydantic_settings import SettingsError as SourceParseError

from bot.errors import SettingsError
from bot.integration_settings import (
    IntegrationSourceError,
    check_integration_settings,
    installed_settings_fields,
)
from bot.settings.model import Settings

log = logging.getLogger(__name__)


def _setting_name(loc: tuple[Any, ...]) -> str:
    field = str(loc[0]) if loc else "?"
    # platform names (SLACK_BOT_TOKEN, DISCORD_TOKEN) come as they are spelled
    return field if field.isupper() else "DEPUTY_" + field.upper()


# written as JSON in the environment; the example shows the shape
_JSON_EXAMPLES = {
    "integrations": """'["local", "calendar"]'""",
    "integration_paths": """'["/srv/deputy-integrations"]'""",
    "discord_role_groups": """'{"finance": "112233445566778899"}'""",
}
# DEPUTY_TEST_* variables belong to the test suite (tests/support/postgres.py), not to Deputy
_NOT_SETTINGS_PREFIX = "DEPUTY_TEST_"


def setting_names(integration_fields: Iterable[str] = ()) -> list[str]:
    """Every environment variable Deputy reads as a setting (with ``integration_fields``, the
    fields installed integrations declare in their settings.py)."""
    names = []
    for field, info in Settings.model_fields.items():
        choices = getattr(info.validation_alias, "choices", None)
        if choices is None:
            names.append(f"DEPUTY_{field.upper()}")
        else:  # an alias replaces the prefixed name (SLACK_BOT_TOKEN, not DEPUTY_SLACK_BOT_TOKEN)
            names += [str(choice) for choice in choices if str(choice).isupper()]
    return names + [f"DEPUTY_{field.upper()}" for field in integration_fields]


def _check_variable_names(environ: Mapping[str, str], integration_fields: Iterable[str]) -> None:
    """A misspelt DEPUTY_ variable would be ignored silently: stop, naming the closest setting."""
    known = setting_names(integration_fields)
    for name in sorted(environ):
        if not name.startswith("DEPUTY_") or name in known or name.startswith(_NOT_SETTINGS_PREFIX):
            continue
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.8)
        if close:
            raise SettingsError(f"{name}: not a setting; did you mean {close[0]}? Rename it "
                                "(the README's Settings table lists every setting)")
        log.warning("deputy: %s is not a Deputy setting and is ignored (the README's Settings table "
                    "lists every setting)", name)


def load_settings(**overrides: Any) -> Settings:
    """Read settings, Deputy's and the installed integrations' own; raise
    :class:`SettingsError` naming the first bad or unknown setting."""
    settings = _parse(overrides)
    try:
        fields = installed_settings_fields(settings.integration_paths)
    except IntegrationSourceError:
        fields = {}  # start-up names the broken integration when it loads them
    _check_variable_names(os.environ, fields)
    check_integration_settings(settings, fields)
    return settings


def _parse(overrides: dict[str, Any]) -> Settings:
    try:
        return Settings(**overrides)
    except SourceParseError as err:
        # pydantic-settings could not decode a JSON value: its message names the field
        match = re.search(r'field "(\w+)"', str(err))
        field = match.group(1) if match else "?"
        example = _JSON_EXAMPLES.get(field, "JSON")
        raise SettingsError(f"{_setting_name((field,))}: not valid JSON ({err.__cause__}); "
                            f"write it as JSON, e.g. {_setting_name((field,))}={example}") from None
    except ValidationError as err:
        first = err.errors()[0]
        if not first["loc"]:  # a check across settings names them in its message
            raise SettingsError(str(first["msg"]).removeprefix("Value error, ")) from None
        message = str(first["msg"]).removeprefix("Value error, ")
        raise SettingsError(f"{_setting_name(first['loc'])}: {message}") from None
