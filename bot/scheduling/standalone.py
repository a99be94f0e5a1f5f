"""``python -m bot.scheduling.standalone`` (the lead wires it as ``deputy scheduler``):
one scheduler process. Start several on PostgreSQL; one leads, the others stand by."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from datetime import timedelta

from bot.settings import Settings, load_settings


async def run_scheduler(settings: Settings) -> None:
    from bot.app import build_app
    from bot.scheduling.runner import MonitorScheduler

    deputy = await build_app(settings)
    scheduler = MonitorScheduler(
        deputy, sync_seconds=settings.scheduler_sync_seconds,
        retry_seconds=settings.scheduler_standby_retry_seconds,
        misfire_grace=timedelta(seconds=settings.scheduler_misfire_grace_seconds))
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        if task is not None:
            loop.add_signal_handler(sig, task.cancel)
    try:
        await scheduler.run_forever()
    except asyncio.CancelledError:
        logging.getLogger(__name__).info("scheduler stopping")
    finally:
        await deputy.close()


def main() -> None:
    settings = load_settings()
    logging.basicConfig(level=settings.log_level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(run_scheduler(settings))


if __name__ == "__main__":
    main()
