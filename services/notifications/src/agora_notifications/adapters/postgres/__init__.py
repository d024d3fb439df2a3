"""The notifications service's PostgreSQL repositories (the only code knowing its SQL)."""
