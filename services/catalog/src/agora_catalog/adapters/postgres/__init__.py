"""The catalog's repositories on PostgreSQL: the only code that knows its SQL."""
