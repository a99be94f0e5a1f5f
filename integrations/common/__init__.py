"""Helpers shared by several integrations (not an integration: it has no manifest)."""
