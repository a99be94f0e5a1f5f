"""Integrations: one folder each, with manifest.yaml, client.py and actions.py."""
