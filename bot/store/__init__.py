"""Everything that issues SQL for the core tables: one module per aggregate, over `Database`."""
