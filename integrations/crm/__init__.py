"""CRM on HubSpot: contacts, companies, deals and notes through the v3 CRM API."""
