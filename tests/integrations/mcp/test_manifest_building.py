"""From a server's tool list to a manifest: names, effects, schemas, refusals. No I/O."""

from __future__ import annotations

from typing import Any

import pytest
from mcp_types import Tool, ToolAnnotations
from pydantic import ValidationError

from bot.domain import Effect
from bot.registry import ManifestError, Registry
from integrations.mcp.client import McpClient
from integrations.mcp.loader import build_integration, builtin_integration_names, check_names
from tests.integrations.mcp.conftest import mcp_config

CONFIG = mcp_config(name="files", command="files-server")
OBJECT = {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}


def tool(name: str, annotations: ToolAnnotations | None = None, schema: Any = None,
         **more: Any) -> Tool:
    return Tool(name=name, input_schema=OBJECT if schema is None else schema,
                annotations=annotations, **more)


def build(*tools: Tool) -> Any:
    return build_integration(CONFIG, McpClient(CONFIG), tools)


def test_annotations_decide_the_effect_and_no_annotation_means_write() -> None:
    loaded = build(
        tool("read_file", ToolAnnotations(read_only_hint=True)),
        tool("remove_file", ToolAnnotations(read_only_hint=False, destructive_hint=True)),
        tool("append_line", ToolAnnotations(read_only_hint=False, destructive_hint=False)),
        tool("touch"),
        tool("peek", ToolAnnotations(read_only_hint=True, destructive_hint=True)),
    )
    effects = {a.name: a.effect for a in loaded.manifest.actions}
    assert effects == {"read_file": Effect.READ, "remove_file": Effect.DESTRUCTIVE,
                       "append_line": Effect.WRITE, "touch": Effect.WRITE, "peek": Effect.READ}
    assert loaded.manifest.idempotent_writes is False
    assert loaded.manifest.name == "files"


def test_tool_names_become_safe_action_names_and_calls_use_the_original() -> None:
    loaded = build(tool("Get-File.v2"), tool("list  files"))
    assert [a.name for a in loaded.manifest.actions] == ["get_file_v2", "list_files"]
    assert set(loaded.actions.functions) == {"get_file_v2", "list_files"}


def test_two_tools_with_the_same_safe_name_are_refused_by_name() -> None:
    with pytest.raises(ManifestError, match="'get-file' and 'get_file' both become action 'get_file'"):
        build(tool("get-file"), tool("get_file"))


def test_a_tool_whose_name_has_nothing_usable_is_refused() -> None:
    with pytest.raises(ManifestError, match="has no usable name"):
        build(tool("---"))


def test_input_schema_is_the_args_schema_and_required_args_are_shown() -> None:
    [spec] = build(tool("read_file", description="Read a file.")).manifest.actions
    assert spec.args == OBJECT
    assert spec.shown == ["path"]
    assert spec.description == "Read a file."


@pytest.mark.parametrize("schema", [
    {"type": "array", "items": {"type": "string"}},
    {"type": "object", "properties": {"n": {"type": "nonsense"}}},
])
def test_a_schema_that_is_not_a_valid_object_falls_back_to_any_object(schema: dict[str, Any]) -> None:
    [spec] = build(tool("odd", schema=schema)).manifest.actions
    assert spec.args == {"type": "object", "properties": {}}


@pytest.mark.parametrize("bad", ["Notes", "1notes", "no-tes", "", "notes.v2"])
def test_server_names_are_lowercase_letters_digits_and_underscore(bad: str) -> None:
    with pytest.raises(ValidationError, match="lowercase letters, digits and _"):
        mcp_config(name=bad, command="x")


def test_a_server_may_not_take_a_built_in_name_or_another_servers() -> None:
    assert {"local", "email", "calendar"} <= builtin_integration_names()
    with pytest.raises(ManifestError, match="'email' is taken by another integration"):
        check_names([mcp_config(name="email", command="x")], builtin_integration_names())
    twice = [mcp_config(name="a", command="x"), mcp_config(name="a", command="y")]
    with pytest.raises(ManifestError, match="two MCP servers are named 'a'"):
        check_names(twice, set())


def test_registry_add_refuses_a_name_already_loaded() -> None:
    registry = Registry([build(tool("touch"))])
    assert registry.spec("files.touch") is not None
    with pytest.raises(ManifestError, match="two integrations are named 'files'"):
        registry.add(build(tool("touch")))


def test_transport_fields_must_match_the_transport() -> None:
    with pytest.raises(ValidationError, match="needs a command"):
        mcp_config(name="a", transport="stdio")
    with pytest.raises(ValidationError, match=r"needs an http\(s\):// url"):
        mcp_config(name="a", transport="http", url="ftp://x")
    with pytest.raises(ValidationError, match="for stdio servers"):
        mcp_config(name="a", transport="http", url="http://x/mcp", command="y")


def test_secrets_in_env_and_headers_never_show_in_reprs_or_targets() -> None:
    stdio = mcp_config(name="a", command="srv", env={"API_TOKEN": "s3cret-env"})
    http = mcp_config(name="b", transport="http", url="https://u:pw@h.example/mcp?key=s3cret-q",
                           headers={"Authorization": "Bearer s3cret-hdr"})
    shown = repr(stdio) + str(stdio) + repr(http) + http.display_target()
    for secret in ("s3cret-env", "s3cret-hdr", "s3cret-q", "pw@"):
        assert secret not in shown
    assert http.display_target() == "https://h.example/mcp"
    assert stdio.revealed_env() == {"API_TOKEN": "s3cret-env"}


def test_a_server_declared_for_some_teams_serves_only_them() -> None:
    config = mcp_config(name="tickets", transport="http", url="https://mcp.example.com/mcp",
                        teams=["slack:T0ACME"])
    loaded = build_integration(config, McpClient(config), [tool("list_tickets", ToolAnnotations(read_only_hint=True))])
    registry = Registry([loaded])
    assert loaded.manifest.teams == ["slack:T0ACME"]
    assert registry.for_team("slack:T0ACME").spec("tickets.list_tickets") is not None
    assert registry.for_team("slack:T0OTHER").spec("tickets.list_tickets") is None
    assert registry.for_team(None).spec("tickets.list_tickets") is None
    # a server declared for no team in particular serves every team
    shared = build(tool("list_notes", ToolAnnotations(read_only_hint=True)))
    assert Registry([shared]).for_team("slack:T0OTHER").spec(f"{shared.manifest.name}.list_notes") is not None
