"""The console lists and decides by the same rule: the person as their platform knows them
now (Slack's users.info and user groups read at that moment), not the groups of their
sign-in. So Waiting for you never offers a decision the decide route would refuse, and shows
a plan as soon as the person may decide it; and an Enterprise Grid org-wide install answers
for the person's workspace at decision time as it did at sign-in."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.app import Deputy
from bot.store.tables import ApprovalRow
from tests.adapters.slack.distributed import ACME, CHANNELS, Installed, installed_slack, workspaces
from tests.adapters.slack.live import count
from tests.console.conftest import GOAL, console_with
from tests.console.signin_support import round_trip, slack_provider
from tests.console.test_console import csrf_of, get, post
from tests.fakes.slack_api import FakeSlackApi
from tests.support.policies import finance_approves_writes

FINANCE = {"id": "S0FIN", "handle": "finance", "name": "Finance"}
FINANCE_GROUP = finance_approves_writes()  # writes wait for Slack's @finance user group
ORG = "E0ACME"


@pytest.fixture
async def slack(app: Deputy, slack_api: FakeSlackApi) -> AsyncIterator[Installed]:
    """Deputy as the distributed app, installed in Acme's workspace."""
    workspaces(slack_api)
    async with installed_slack(app, slack_api) as running:
        assert (await running.install(ACME))[0] == 200
        yield running


@pytest.mark.parametrize("policy", [FINANCE_GROUP], ids=["finance-group"])
async def test_waiting_for_you_lists_what_the_person_may_decide_now(
        app: Deputy, slack: Installed, slack_api: FakeSlackApi, http: aiohttp.ClientSession) -> None:
    assert await slack.slash(ACME, GOAL, user="U0ANNA") == 200
    await slack.card(ACME)
    await slack.settle()
    async with aiohttp.ClientSession() as outbound, console_with(app, [slack_provider(app, slack_api, outbound)]) as served:
        slack_api.oauth.signing_in = (ACME, "U0ANNA")
        slack_api.usergroups = [{**FINANCE, "users": ["U0BOSS"]}]  # not in Finance when she signs in
        status, page, _ = await round_trip(http, served.url, "slack")
        assert status == 303, page
        status, page = await get(http, served.url + "/console/waiting")
        assert status == 200 and "Nothing waits for your decision" in page and "Approve version 1" not in page
        # added to Finance in Slack after signing in: listed at once, and the decision holds
        slack_api.usergroups = [{**FINANCE, "users": ["U0BOSS", "U0ANNA"]}]
        status, page = await get(http, served.url + "/console/waiting")
        assert status == 200 and GOAL in page and "Approve version 1" in page, page
        # taken out again: neither the list nor the plan's page offers a decision
        slack_api.usergroups = [{**FINANCE, "users": ["U0BOSS"]}]
        status, page = await get(http, served.url + "/console/waiting")
        assert status == 200 and "Nothing waits for your decision" in page and "Approve version 1" not in page
        status, page = await get(http, served.url + "/console/plans/1")
        assert status == 200 and "Approve version 1" not in page and "only members of @finance" in page
        # Slack cannot answer: the list says so and offers nothing
        slack_api.fail("usergroups.list", "internal_error")
        status, page = await get(http, served.url + "/console/waiting")
        assert status == 200 and "Slack did not say which groups you are in now (internal_error)" in page
        assert "Approve version 1" not in page
        assert await count(app, ApprovalRow) == 0


@pytest.fixture
async def org_installed(app: Deputy, slack_api: FakeSlackApi) -> AsyncIterator[Installed]:
    """Deputy installed org-wide by Acme's Enterprise Grid org (one install, key ``E0ACME:``)."""
    slack_api.oauth.add(ACME, "Acme EU", enterprise_id=ORG, enterprise_name="Acme Corp")
    slack_api.channel(CHANNELS[ACME], ACME)
    slack_api.oauth.org_install = True
    async with installed_slack(app, slack_api) as running:
        assert (await running.install(ACME))[0] == 200
        yield running


async def card_in_the_org(org_installed: Installed, event_id: str) -> None:
    """Anna asks by a mention in Acme's workspace of the org; the plan card waits."""
    mention = {"type": "app_mention", "user": "U0ANNA", "text": "<@UDEPUTY> " + GOAL, "ts": "1760000100.000100",
               "channel": CHANNELS[ACME], "event_ts": "1760000100.000100", "team": ACME}
    assert await org_installed.event(ACME, mention, event_id, enterprise=ORG) == 200
    await org_installed.card(ACME)
    await org_installed.settle()


@pytest.mark.parametrize("policy", [FINANCE_GROUP], ids=["finance-group"])
async def test_an_approver_of_an_org_wide_install_decides_in_the_console(
        app: Deputy, org_installed: Installed, slack_api: FakeSlackApi, http: aiohttp.ClientSession) -> None:
    await card_in_the_org(org_installed, "Ev0ORGCARD")
    async with aiohttp.ClientSession() as outbound, console_with(app, [slack_provider(app, slack_api, outbound)]) as served:
        slack_api.oauth.signing_in = (ACME, "U0ANNA")  # her ID token names the org too
        slack_api.usergroups = [{**FINANCE, "users": ["U0ANNA"]}]
        status, page, _ = await round_trip(http, served.url, "slack")
        assert status == 303, page
        status, page = await get(http, served.url + "/console/waiting")
        assert status == 200 and "Approve version 1" in page, page
        status, page = await post(http, served.url + "/console/plans/1/decide",
                                  {"csrf": csrf_of(page), "version": "1", "decision": "approve"})
        assert status == 303, page
        assert await count(app, ApprovalRow) == 1
    # every read of her groups named her workspace, as Slack requires of an org token
    reads = slack_api.of("usergroups.list")
    assert reads and all(call.params.get("team_id") == ACME and call.answer and call.answer["ok"] for call in reads)


@pytest.mark.parametrize("policy", [FINANCE_GROUP], ids=["finance-group"])
async def test_someone_taken_out_of_the_workspace_but_still_in_the_org_decides_nothing(
        app: Deputy, org_installed: Installed, slack_api: FakeSlackApi, http: aiohttp.ClientSession) -> None:
    # with an org token users.info answers for anyone in the org: the workspaces they are in
    # (enterprise_user.teams) say whether they still count in this one
    await card_in_the_org(org_installed, "Ev0ORGGONE")
    async with aiohttp.ClientSession() as outbound, console_with(app, [slack_provider(app, slack_api, outbound)]) as served:
        slack_api.oauth.signing_in = (ACME, "U0ANNA")
        slack_api.usergroups = [{**FINANCE, "users": ["U0ANNA"]}]
        status, page, _ = await round_trip(http, served.url, "slack")
        assert status == 303, page
        status, page = await get(http, served.url + "/console/waiting")
        assert status == 200 and "Approve version 1" in page, page
        slack_api.grid_teams["U0ANNA"] = ["T0OTHERWS"]  # moved to another of the org's workspaces
        status, page = await get(http, served.url + "/console/waiting")
        assert status == 200 and "Approve version 1" not in page
        assert "no longer counts you in this team" in page, page
        status, page = await post(http, served.url + "/console/plans/1/decide",
                                  {"csrf": csrf_of(page), "version": "1", "decision": "approve"})
        assert status == 403, page
        assert await count(app, ApprovalRow) == 0


@pytest.mark.parametrize("policy", [FINANCE_GROUP], ids=["finance-group"])
async def test_console_pages_and_decisions_share_one_read_of_the_workspaces_groups(
        app: Deputy, slack: Installed, slack_api: FakeSlackApi, http: aiohttp.ClientSession) -> None:
    # usergroups.list is Tier 2 (about 20 a minute per workspace): pages people reload must
    # not use it up, or the decision that follows is refused for want of an answer
    assert await slack.slash(ACME, GOAL, user="U0ANNA") == 200
    await slack.card(ACME)
    await slack.settle()
    provider = slack_provider(app, slack_api, http, groups_fresh_seconds="60")
    async with console_with(app, [provider]) as served:
        slack_api.oauth.signing_in = (ACME, "U0ANNA")
        slack_api.usergroups = [{**FINANCE, "users": ["U0ANNA"]}]
        status, page, _ = await round_trip(http, served.url, "slack")
        assert status == 303, page
        before = len(slack_api.of("usergroups.list"))
        for _ in range(5):
            status, page = await get(http, served.url + "/console/waiting")
            assert status == 200 and "Approve version 1" in page, page
        status, page = await get(http, served.url + "/console/plans/1")
        assert status == 200 and "Approve version 1" in page, page
        status, page = await post(http, served.url + "/console/plans/1/decide",
                                  {"csrf": csrf_of(page), "version": "1", "decision": "approve"})
        assert status == 303, page
        assert await count(app, ApprovalRow) == 1
        # seven asks, no read: the sign-in's own, seconds ago, serves them all
        assert len(slack_api.of("usergroups.list")) == before
        assert len(slack_api.of("users.info")) >= 7  # the person is still read every time
