from __future__ import annotations

import pytest
import yaml

from bot.adapters.slack.manifest import manifest_yaml, slack_manifest


def test_http_manifest_points_every_url_at_slack_events() -> None:
    manifest = yaml.safe_load(manifest_yaml("https://deputy.example.com/", socket_mode=False))
    url = "https://deputy.example.com/slack/events"
    [command] = manifest["features"]["slash_commands"]
    assert (command["command"], command["url"]) == ("/deputy", url)
    assert manifest["settings"]["event_subscriptions"] == {
        "bot_events": ["app_mention", "message.channels", "message.groups"], "request_url": url,
    }
    assert manifest["settings"]["interactivity"] == {"is_enabled": True, "request_url": url}
    assert manifest["settings"]["socket_mode_enabled"] is False
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == {
        "commands", "chat:write", "files:write", "app_mentions:read", "channels:history", "groups:history",
        "users:read", "usergroups:read",
    }


def test_socket_mode_manifest_has_no_urls() -> None:
    manifest = slack_manifest(None, socket_mode=True)
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert "url" not in manifest["features"]["slash_commands"][0]
    assert "request_url" not in manifest["settings"]["interactivity"]


def test_http_manifest_needs_a_url() -> None:
    with pytest.raises(ValueError, match="public URL"):
        slack_manifest(None, socket_mode=False)


def test_the_distributed_manifest_has_the_oauth_redirect_url_and_removal_events() -> None:
    from typer.testing import CliRunner

    from bot.cli import app

    result = CliRunner().invoke(app, ["slack", "manifest", "--distributed", "--token-rotation",
                                      "--url", "https://deputy.example.com"])
    assert result.exit_code == 0, result.output
    manifest = yaml.safe_load(result.output)
    assert manifest["oauth_config"]["redirect_urls"] == ["https://deputy.example.com/slack/oauth_redirect",
                                                         "https://deputy.example.com/console/signin/slack/callback"]
    # Sign in with Slack to the web console: OpenID Connect's user scopes
    assert manifest["oauth_config"]["scopes"]["user"] == ["openid", "profile", "email"]
    events = manifest["settings"]["event_subscriptions"]
    assert {"app_uninstalled", "tokens_revoked"} <= set(events["bot_events"])
    assert events["request_url"] == "https://deputy.example.com/slack/events"
    assert manifest["settings"]["org_deploy_enabled"] is True  # Enterprise Grid: one org install
    assert manifest["settings"]["token_rotation_enabled"] is True
    # the one-workspace manifest has none of it
    single = slack_manifest("https://deputy.example.com", socket_mode=False)
    assert "redirect_urls" not in single["oauth_config"] and single["settings"]["org_deploy_enabled"] is False
    assert "user" not in single["oauth_config"]["scopes"]
    # a one-workspace app with Sign in with Slack: the console's redirect and the user scopes
    signing = slack_manifest("https://deputy.example.com", socket_mode=False, sign_in=True)
    assert signing["oauth_config"]["redirect_urls"] == ["https://deputy.example.com/console/signin/slack/callback"]
    assert signing["oauth_config"]["scopes"]["user"] == ["openid", "profile", "email"]


@pytest.mark.parametrize("args", [["--distributed"], ["--distributed", "--socket-mode"],
                                  ["--token-rotation", "--url", "https://d.example.com"]])
def test_the_distributed_manifest_refuses_what_cannot_work(args: list[str]) -> None:
    from typer.testing import CliRunner

    from bot.cli import app

    result = CliRunner().invoke(app, ["slack", "manifest", *args])
    assert result.exit_code != 0
    assert "--distributed" in result.output


@pytest.mark.parametrize("url", ["http://deputy.example.com", "deputy.example.com"])
def test_a_url_slack_would_refuse_is_refused_here(url: str) -> None:
    """Slack takes only https:// request URLs: a manifest with another is refused when pasted."""
    from typer.testing import CliRunner

    from bot.cli import app

    result = CliRunner().invoke(app, ["slack", "manifest", "--url", url])
    assert result.exit_code == 2
    assert result.output.strip() == (f"deputy: --url {url}: Slack accepts only https:// request URLs; "
                                     "give the public https:// URL of `deputy serve`, or use --socket-mode")
