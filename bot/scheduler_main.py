"""``python -m bot.scheduler_main``: one scheduler process, as ``deputy scheduler``
runs it (bot/processes.py). Start several on PostgreSQL; one leads, the others stand by."""

from __future__ import annotations

import asyncio
import logging
import sys

from bot.processes import run_scheduler
from bot.settings import load_settings


def main() -> None:
    settings = load_settings()
    logging.basicConfig(level=settings.log_level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(run_scheduler(settings))


if __name__ == "__main__":
    main()
