"""Notifications on PostgreSQL: one module per aggregate's repository, the queues the
cross-tenant workers claim from, and the unit of work binding them to a transaction."""
