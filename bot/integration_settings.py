"""Settings an integration declares for itself, and where integrations are installed.

An integration that needs settings (an API base URL, an OAuth app's client id) puts a
``settings.py`` next to its manifest with one subclass of :class:`IntegrationSettings`. Its
fields are read like Deputy's own: ``DEPUTY_<FIELD>`` in the environment beats ``<field>`` in
deputy.toml, and a value given to ``Settings(...)`` (tests) beats both. So the core names no
integration's settings, and an integration added later needs no change in ``bot/``.

Integrations are found in three places (:func:`integration_sources`): the folders of the
built-in ``integrations`` package, the folders under each of ``DEPUTY_INTEGRATION_PATHS``, and
the packages installed with an entry point in the ``deputy.integrations`` group.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Any

from pydantic import ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from pydantic_settings import SettingsError as SourceParseError

import integrations as integrations_package
from bot.errors import SettingsError, StartupError

ENTRY_POINT_GROUP = "deputy.integrations"


class IntegrationSettings(BaseSettings):
    """Base of an integration's own settings (``DEPUTY_<FIELD>`` or ``<field>`` in deputy.toml)."""

    model_config = SettingsConfigDict(
        env_prefix="DEPUTY_", populate_by_name=True, extra="ignore", toml_file="deputy.toml",
        validate_default=True)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # the same order as Deputy's own settings: arguments, then environment, then deputy.toml
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))


@dataclass(frozen=True)
class IntegrationSource:
    """Where one integration lives: its folder, and the dotted name its modules import under
    (None for a folder loaded by path)."""

    name: str
    folder: Path
    package: str | None


def integration_sources(extra_paths: Iterable[Path] = (),
                        names: Iterable[str] | None = None) -> Iterator[IntegrationSource]:
    """Every installed integration (built-in, under ``extra_paths``, then entry points); with
    ``names``, only those (an entry point is imported only when wanted)."""
    return _sources(extra_paths, names, MANIFEST)


def builder_sources(extra_paths: Iterable[Path] = ()) -> Iterator[IntegrationSource]:
    """Every installed integration *builder*: a package with a ``builder.py`` instead of a
    manifest, which adds integrations at start-up from its settings (MCP: one per server).
    Its ``async def add_integrations(registry, config)`` gets its settings model's values."""
    return _sources(extra_paths, None, BUILDER)


MANIFEST, BUILDER = "manifest.yaml", "builder.py"


def _sources(extra_paths: Iterable[Path], names: Iterable[str] | None,
             marker: str) -> Iterator[IntegrationSource]:
    wanted = set(names) if names is not None else None
    builtin = Path(integrations_package.__file__).parent
    roots: list[tuple[Path, str | None]] = [(builtin, integrations_package.__name__)]
    roots += [(Path(p), None) for p in extra_paths]
    for root, package in roots:
        if not root.is_dir():
            raise IntegrationSourceError(f"integration path {root} is not a folder")
        for folder in sorted(p for p in root.iterdir() if _kind(p) == marker):
            if wanted is None or folder.name in wanted:
                dotted = f"{package}.{folder.name}" if package else _path_package(folder)
                yield IntegrationSource(folder.name, folder, dotted)
    for point in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda p: p.name):
        if wanted is None or point.name in wanted:
            source = _entry_point_source(point.name, point.value, point.load)
            if _kind(source.folder) == marker:
                yield source


def _kind(folder: Path) -> str | None:
    """What a folder is: an integration (manifest.yaml), a builder (builder.py), or neither."""
    if (folder / MANIFEST).is_file():
        return MANIFEST
    return BUILDER if (folder / BUILDER).is_file() else None


def entry_point_names() -> list[str]:
    return sorted(p.name for p in entry_points(group=ENTRY_POINT_GROUP))


class IntegrationSourceError(StartupError):
    """An installed integration cannot be found or imported; the message names it."""


def _entry_point_source(name: str, value: str, load: Any) -> IntegrationSource:
    try:
        module = load()
    except Exception as err:  # noqa: BLE001 - any import error of a plug-in stops start-up, named
        raise IntegrationSourceError(f"entry point {name!r} ({value}) in {ENTRY_POINT_GROUP} cannot "
                                     f"be imported: {type(err).__name__}: {err}") from err
    if not isinstance(module, ModuleType) or not getattr(module, "__file__", None):
        raise IntegrationSourceError(f"entry point {name!r} ({value}) must name the integration's "
                                     "package (the folder holding manifest.yaml)")
    folder = Path(str(module.__file__)).parent
    if _kind(folder) is None:
        raise IntegrationSourceError(f"entry point {name!r} ({value}): no manifest.yaml (nor "
                                     f"builder.py) in {folder}")
    return IntegrationSource(name, folder, module.__name__)


def _path_package(folder: Path) -> str | None:
    """A third-party folder with an ``__init__.py`` imports as a package from its parent."""
    if not (folder / "__init__.py").exists():
        return None
    if str(folder.parent) not in sys.path:
        sys.path.insert(0, str(folder.parent))
    return folder.name


def import_part(source: IntegrationSource, part: str) -> ModuleType | None:
    """``<integration>.<part>`` (actions, client, settings), or None when it has no such module."""
    if source.package is None:
        path = source.folder / f"{part}.py"
        if not path.is_file():
            return None
        name = f"deputy_integration_{source.name}_{part}"
        if part == "actions":
            name = f"deputy_integration_{source.name}"  # the name it always had
        loaded = sys.modules.get(name)
        if part == "settings" and loaded is not None and getattr(loaded, "__file__", None) == str(path):
            return loaded  # one settings model per process, however often it is looked up
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise IntegrationSourceError(f"{path}: cannot be imported")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module
    dotted = f"{source.package}.{part}"
    try:
        return importlib.import_module(dotted)
    except ModuleNotFoundError as err:
        if err.name == dotted:
            return None
        raise


def settings_model(source: IntegrationSource) -> type[IntegrationSettings] | None:
    """The :class:`IntegrationSettings` subclass the integration's settings.py defines."""
    module = import_part(source, "settings")
    if module is None:
        return None
    models = [value for value in vars(module).values()
              if isinstance(value, type) and issubclass(value, IntegrationSettings)
              and value is not IntegrationSettings and value.__module__ == module.__name__]
    if len(models) != 1:
        raise IntegrationSourceError(f"{source.name}: settings.py must define exactly one subclass "
                                     f"of IntegrationSettings (found {len(models)})")
    return models[0]


def build_settings(model: type[IntegrationSettings], given: Mapping[str, Any]) -> IntegrationSettings:
    """The integration's settings from its sources, ``given`` (values passed to Settings) first.
    A bad value raises :class:`SettingsError` naming the variable, as Deputy's own settings do."""
    values = {k: v for k, v in given.items() if k in model.model_fields}
    built: Any = model
    try:
        result: IntegrationSettings = built(**values)
        return result
    except SourceParseError as err:  # a value in the environment is not valid JSON
        match = re.search(r'field "(\w+)"', str(err))
        field = match.group(1) if match else ""
        name = f"DEPUTY_{field.upper()}" if field else "a setting"
        info = model.model_fields.get(field)
        example = f", e.g. {name}='{info.examples[0]}'" if info is not None and info.examples else ""
        raise SettingsError(f"{name}: not valid JSON ({err.__cause__}); write it as JSON{example}") from None
    except ValidationError as err:
        first = err.errors()[0]
        message = str(first["msg"]).removeprefix("Value error, ")
        if not first["loc"]:
            raise SettingsError(message) from None
        raise SettingsError(f"DEPUTY_{str(first['loc'][0]).upper()}: {message}") from None


class KnownKeysToml(TomlConfigSettingsSource):
    """deputy.toml without the keys the settings class does not declare: Deputy's own
    settings leave an integration's keys to it, read after the environment as its own are."""

    def __call__(self) -> dict[str, Any]:
        known = declared_names(self.settings_cls)
        return {k: v for k, v in super().__call__().items() if k in known}


def declared_names(settings_cls: type[BaseSettings]) -> set[str]:
    names = set(settings_cls.model_fields)
    for info in settings_cls.model_fields.values():
        names |= {str(c) for c in getattr(info.validation_alias, "choices", None) or ()}
    return names


def check_integration_settings(settings: BaseSettings,
                               fields: Mapping[str, type[IntegrationSettings]]) -> None:
    """Every key of deputy.toml and every value given to ``settings`` is declared by Deputy or
    an installed integration, and every installed integration's settings are valid."""
    toml_file = Path(str(settings.model_config.get("toml_file") or "deputy.toml"))
    try:
        in_toml = list(tomllib.loads(toml_file.read_text()))
    except (OSError, tomllib.TOMLDecodeError):
        in_toml = []  # no file; a broken one was reported when the settings read it
    given = settings.model_extra or {}
    core = declared_names(type(settings))
    unknown = sorted(k for k in [*in_toml, *given] if k not in core and k not in fields)
    if unknown:
        where = " in deputy.toml" if unknown[0] in in_toml else ""
        raise SettingsError(f"unknown setting {unknown[0]!r}{where}: neither Deputy nor an installed "
                            "integration declares it")
    for model in dict.fromkeys(fields.values()):  # a bad value stops start-up here, named
        build_settings(model, given)


def installed_settings_fields(extra_paths: Iterable[Path] = ()) -> dict[str, type[IntegrationSettings]]:
    """Field name → the model declaring it, over every installed integration."""
    fields: dict[str, type[IntegrationSettings]] = {}
    for source in [*integration_sources(extra_paths), *builder_sources(extra_paths)]:
        model = settings_model(source)
        if model is not None:
            for name in model.model_fields:
                fields.setdefault(name, model)
    return fields
