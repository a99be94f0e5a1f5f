"""The embedded integration: calendar, CRM and invoicing in Deputy's own database."""
