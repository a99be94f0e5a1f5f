"""The one door into the core: neutral events in, neutral replies out.

Adapters (Slack, Discord, shell) translate platform events into :mod:`bot.chat.events`,
hand them to :func:`bot.dispatch.dispatch`, and render :mod:`bot.chat.replies` through their
:class:`bot.chat.port.ChatPort`. No platform detail crosses this line.
"""
