"""Persistence, one module per noun. Functions take a ``sqlite3.Connection`` and never commit:
the caller owns the transaction (``Database.write()``)."""
