"""Team memory: what people taught Deputy, and how plans use it (see docs/memory.md)."""
