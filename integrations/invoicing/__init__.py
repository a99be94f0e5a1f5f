"""Invoicing on Stripe: customers, invoice items, invoices and payments through the `stripe` SDK."""
