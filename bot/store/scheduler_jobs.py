"""Writes to APScheduler's job table that APScheduler itself makes one row at a time."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, Table, bindparam


def update_jobs(engine: Engine, jobs: Table, rows: list[dict[str, Any]]) -> None:
    """Set ``next_run_time`` and ``job_state`` of many jobs in one transaction (one
    ``executemany``). ``rows`` hold ``b_id``, ``b_next`` and ``b_state``; a job no longer in
    the table matches no row and is left alone."""
    update = (jobs.update().where(jobs.c.id == bindparam("b_id"))
              .values(next_run_time=bindparam("b_next"), job_state=bindparam("b_state")))
    with engine.begin() as connection:
        connection.execute(update, rows)
