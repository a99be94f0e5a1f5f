"""Monitors and digests: stored read-only plans fired by one active APScheduler.

The scheduler never runs a plan itself: a firing queues a run that workers execute like
any other, and the finished run becomes a :class:`~bot.scheduling.model.Digest`.
"""
