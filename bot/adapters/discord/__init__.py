"""Discord adapter: the discord.py gateway client, rendering, and the ChatPort for Discord."""
