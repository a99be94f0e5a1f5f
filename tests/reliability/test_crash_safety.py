"""Crash safety on PostgreSQL with several `deputy worker` processes killed by SIGKILL.

Invariant 3: a step's side effect happens at most once, and a crash never forgets one.
The runs write to the ledger's test integrations and to real integrations against their
servers: the HubSpot and Stripe fakes, and aiosmtpd for SMTP.
Small by default; DEPUTY_RELIABILITY_SCALE=N for N times the runs and kills;
DEPUTY_RELIABILITY_SEED picks another reproducible kill schedule;
DEPUTY_RELIABILITY_REPORT_DIR=folder writes the figures (crash.json).
"""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from pathlib import Path

import pytest

from bot.store.audit_verify import verify
from bot.store.database import Database
from bot.vault import CredentialStore
from bot.vault.audit_key import AuditKeys
from bot.vault.keyfile import KEY_FILE_NAME
from bot.vault.keyring import Keyring
from tests.fakes.hubspot_api import FakeHubSpot
from tests.fakes.stripe_api import FakeStripe
from tests.integrations.email.conftest import SmtpServer, smtp_sink
from tests.reliability.conftest import reliability_scale, reliability_seed
from tests.reliability.crash_harness import (
    CrashConfig,
    CrashReport,
    WorkerPool,
    chaos,
    check_effects,
    worker_env,
)
from tests.reliability.figures import publish
from tests.reliability.queueing import HUBSPOT_COMPANY, REAL, REQUESTER, queue_runs

# slow (real worker processes killed on a schedule, about a minute): `make test` runs it; `pytest -m "not slow"` leaves it out
pytestmark = pytest.mark.slow

__all__ = ["smtp_sink"]

HUBSPOT_TOKEN = "pat-na1-crash-0000"
STRIPE_KEY = "sk_test_crash_0123456789"


@dataclass
class Servers:
    hubspot: FakeHubSpot
    stripe: FakeStripe
    smtp: SmtpServer

    def labels(self) -> dict[str, dict[str, int]]:
        """How many times each server stored each label."""
        return {
            "crm": dict(Counter(str(n["properties"].get("hs_note_body"))
                                for n in self.hubspot.records["notes"].values())),
            "email": dict(Counter(str(m.message["Subject"]) for m in self.smtp.messages)),
            "invoicing": dict(Counter(str(c.get("name")) for c in self.stripe.customers.values())),
        }


@pytest.fixture
async def servers(smtp_sink: SmtpServer) -> AsyncIterator[Servers]:
    hubspot, stripe = FakeHubSpot(tokens={HUBSPOT_TOKEN}), FakeStripe(api_keys={STRIPE_KEY})
    await hubspot.start()
    await stripe.start()
    assert hubspot.add("companies", name="Acme")["id"] == HUBSPOT_COMPANY
    yield Servers(hubspot, stripe, smtp_sink)
    await hubspot.stop()
    await stripe.stop()


async def _connect(db: Database, home: Path, servers: Servers) -> None:
    """The requester's credentials, encrypted under the key file the workers will read."""
    vault = CredentialStore(db, await Keyring.open_file(home / KEY_FILE_NAME))
    await vault.put(REQUESTER.key, "crm", {"access_token": HUBSPOT_TOKEN})
    await vault.put(REQUESTER.key, "invoicing", {"api_key": STRIPE_KEY})
    await vault.put(REQUESTER.key, "email", servers.smtp.credentials())


def _tails(folder: Path) -> str:
    return "\n".join(p.read_text()[-2000:] for p in sorted(folder.glob("worker-*.log")))


async def test_killed_workers_never_lose_or_repeat_a_side_effect(
        crash_database_url: str, tmp_path: Path, servers: Servers) -> None:
    scale = reliability_scale()
    config = CrashConfig(runs=12 * scale, workers=3 + (scale > 1), kills=5 * scale,
                         seed=reliability_seed(), deadline_seconds=180.0 * scale)
    db = Database(crash_database_url)
    home = tmp_path / "home"
    home.mkdir()
    try:
        await _connect(db, home, servers)
        # this process signs what it writes with the workers' keyring, as build_app does
        keys = AuditKeys(await Keyring.open_file(home / KEY_FILE_NAME))
        db.audit_keys = keys
        queued = await queue_runs(db, config.runs, random.Random(config.seed), real=REAL)
        env = worker_env(crash_database_url, home, config.lease_seconds, {
            "DEPUTY_INTEGRATIONS": json.dumps(["recorder", "plainrecorder", *REAL]),
            "DEPUTY_HUBSPOT_API_URL": servers.hubspot.url,
            "DEPUTY_STRIPE_API_URL": servers.stripe.url,
        })
        pool = WorkerPool(env, tmp_path)
        report = CrashReport()
        try:
            await chaos(db, pool, config, report)
        finally:
            await pool.stop_all()
        await check_effects(db, queued, report, servers.labels())
        async with db.session(all_teams=True) as session:  # every team's chain
            chain = await verify(session, keys=keys)
    finally:
        await db.dispose()
    await asyncio.to_thread(publish, "crash", {
        "summary": report.summary(), "config": asdict(config), "report": asdict(report),
        "audit_chain_ok": chain.ok})
    logs = await asyncio.to_thread(_tails, tmp_path)
    assert set(REAL) <= set(report.runs_by_integration), report.runs_by_integration
    assert report.kills >= config.kills // 2, report.summary()
    # run by run: each one ended as it must (idempotent ones succeeded; the others succeeded
    # or stopped on an unknown outcome), so no failure hides behind another run's success
    assert report.bad_runs == [], "\n".join(report.bad_runs) + "\n" + logs
    assert report.lost == [], report.lost
    assert report.duplicated == [], report.duplicated
    assert report.failed_without_reason == 0
    assert chain.ok, chain.summary()
