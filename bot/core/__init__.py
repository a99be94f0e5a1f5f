"""The parts of a running Deputy, below every conversation and every run.

:class:`bot.core.deputy.Deputy` holds what a process is made of — settings, database,
integrations, policy, planner, vault, clock and the chat ports — and nothing that decides.
Flow, execution and scheduling take it as an argument; only the composition root
(:func:`bot.app.build_app`) builds one from settings. The ports that touch the store live
here too: :mod:`bot.core.audited` (every message audited) and :mod:`bot.core.unconfigured`
(a platform with no settings in this process: never silent).
"""
