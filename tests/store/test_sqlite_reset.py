"""A SQLite connection goes back to the pool without a ROLLBACK sent to the driver's thread
after each commit (bot/store/database.py, ``_sqlite_reset``: a thread round trip per
transaction for nothing), yet one returned with a transaction still open is rolled back:
what it wrote is not committed later by whoever takes the connection next."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from bot.store.database import Database


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_connection_returned_inside_a_transaction_is_rolled_back(database: Database) -> None:
    async with database.engine.connect() as conn:
        await conn.exec_driver_sql("CREATE TABLE stray (n INTEGER)")
        await conn.commit()
    conn = await database.engine.connect()
    raw = await conn.get_raw_connection()
    # written through the driver, outside SQLAlchemy's transaction: the driver began one
    await raw.driver_connection.execute("INSERT INTO stray VALUES (1)")
    assert raw.driver_connection.in_transaction
    await conn.close()
    # the next transaction (on the same pooled connection) commits only its own write
    async with database.session(all_teams=True) as session:
        await (await session.connection()).execute(text("INSERT INTO stray VALUES (2)"))
    async with database.engine.connect() as check:
        found = [n for (n,) in await check.exec_driver_sql("SELECT n FROM stray ORDER BY n")]
    assert found == [2]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_committed_session_sends_no_rollback_to_the_driver(
        database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    async with database.session(all_teams=True) as session:
        await (await session.connection()).execute(text("SELECT 1"))
    conn = await database.engine.connect()
    driver = type((await conn.get_raw_connection()).driver_connection)
    await conn.close()
    rollbacks = []
    rollback = driver.rollback

    async def counted(self: object) -> None:
        rollbacks.append(self)
        await rollback(self)

    monkeypatch.setattr(driver, "rollback", counted)
    for _ in range(3):
        async with database.session(all_teams=True) as session:
            conn = await session.connection()
            await conn.execute(text("CREATE TABLE IF NOT EXISTS t (n INTEGER)"))
            await conn.execute(text("INSERT INTO t VALUES (1)"))
    assert rollbacks == []
