"""Benchmark of the credential vault: rotation throughput and the cost of one `get`.

    .venv/bin/python bench/bench_vault.py                      # SQLite in a temp folder
    .venv/bin/python bench/bench_vault.py --database-url postgresql://postgres@127.0.0.1/bench

Fills the database with N credentials (default 10,000) sealed exactly as `put` seals them,
rotates them all to a new master key, then times `CredentialStore.get` (database read +
unwrap + decrypt) and the decryption alone. Prints a markdown table.
The PostgreSQL database named in the URL must exist and be disposable: its vault tables
are dropped and re-created.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shlex
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlmodel import SQLModel, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.domain.models import team_of_actor_key  # noqa: E402
from bot.store.credentials import CredentialRow  # noqa: E402
from bot.store.database import Database  # noqa: E402
from bot.vault import CredentialStore, Keyring, check_keyring, generate_key, rotate  # noqa: E402
from bot.vault.envelope import new_credential_id, open_record, seal_record  # noqa: E402

TABLES = [CredentialRow.metadata.tables[n] for n in ("credentials", "vault_keys")]


def _owner(n: int) -> str:
    return f"slack:T{n % 7}:U{n}"


async def _prepare(database: Database) -> None:
    async with database.engine.begin() as conn:
        await conn.run_sync(lambda c: SQLModel.metadata.drop_all(c, tables=TABLES))
        await conn.run_sync(lambda c: SQLModel.metadata.create_all(c, tables=TABLES))


async def _fill(database: Database, keyring: Keyring, count: int) -> None:
    master = keyring.active
    for start in range(0, count, 1000):
        rows = []
        for n in range(start, min(count, start + 1000)):
            cid = new_credential_id()
            plaintext = f'{{"token":"secret-{n:06d}-xxxxxxxxxxxxxxxx","portal":"{n}"}}'.encode()
            sealed = seal_record(master, cid, _owner(n), "crm", plaintext)
            rows.append(
                CredentialRow(team_key=team_of_actor_key(_owner(n)), id=cid, owner_key=_owner(n), integration="crm", key_id=master.key_id,
                              wrapped_key=sealed.wrapped_key, payload=sealed.payload)
            )
        async with database.session(all_teams=True) as session:
            session.add_all(rows)


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        database = Database(url)
        await _prepare(database)
        old = Keyring([generate_key("k1")])
        await check_keyring(database, old)
        await _fill(database, old, args.count)

        rotated = Keyring([generate_key("k2"), old.active])  # new key first, as an operator would
        report = await rotate(database, rotated, batch_size=args.batch_size)
        assert report.rewrapped == args.count and not report.remaining, report.summary()

        store = CredentialStore(database, rotated)
        owners = [random.randrange(args.count) for _ in range(args.gets)]
        for n in owners[:50]:  # warm the connection pool and caches
            await store.get(_owner(n), "crm")
        get_ms = []
        for n in owners:
            t0 = time.perf_counter()
            fields = await store.get(_owner(n), "crm")
            get_ms.append((time.perf_counter() - t0) * 1000)
            assert fields is not None and fields["portal"] == str(n)

        async with database.session(all_teams=True) as session:
            row = await session.get(CredentialRow, await _any_id(database))
        assert row is not None
        master = rotated.get(row.key_id)
        assert master is not None
        decrypt_ms = []
        for _ in range(args.gets):
            t0 = time.perf_counter()
            open_record(master, row.id, row.owner_key, row.integration, row.wrapped_key, row.payload)
            decrypt_ms.append((time.perf_counter() - t0) * 1000)
        await database.dispose()

    engine = "SQLite (file, WAL)" if database.is_sqlite else "PostgreSQL"
    print(f"Command: `{' '.join(shlex.quote(a) for a in [sys.executable, *sys.argv])}`\n")
    print(f"Database: {engine}; {args.count} credentials; batch size {args.batch_size}\n")
    print("| measure | value |")
    print("|---|---|")
    print(f"| rotation of {args.count} credentials | {report.seconds:.2f} s "
          f"({args.count / report.seconds:,.0f} credentials/s, {report.batches} batches) |")
    print(f"| `get` p50 (DB read + unwrap + decrypt) | {statistics.median(get_ms):.3f} ms |")
    print(f"| `get` p99 | {_percentile(get_ms, 0.99):.3f} ms |")
    print(f"| decrypt only p50 (unwrap + decrypt + JSON) | {statistics.median(decrypt_ms) * 1000:.1f} µs |")
    print(f"| decrypt only p99 | {_percentile(decrypt_ms, 0.99) * 1000:.1f} µs |")


async def _any_id(database: Database) -> str:
    async with database.session(all_teams=True) as session:
        return (await session.exec(select(CredentialRow.id).limit(1))).one()


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--gets", type=int, default=2_000)
    parser.add_argument("--database-url", default="", help="default: a SQLite file in a temp folder")
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(_arguments()))
