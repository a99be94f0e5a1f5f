"""All settings in one place: :class:`Settings` (every setting and its default) and
:func:`load_settings` (environment and deputy.toml, with one-line errors naming the setting)."""

from bot.settings.loading import load_settings, setting_names
from bot.settings.model import Settings

__all__ = ["Settings", "load_settings", "setting_names"]
