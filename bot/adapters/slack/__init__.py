"""Slack adapter: slash commands, mentions, thread replies, buttons and modals ↔ the core.

Translation only; the core decides. Entry points: :class:`SlackAdapter` (the bolt app and
the :class:`SlackPort`), :func:`create_http_app`, :func:`run_socket_mode`, :func:`manifest_yaml`.
"""
