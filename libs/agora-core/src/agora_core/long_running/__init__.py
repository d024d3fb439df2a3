"""Long-running operations (AIP-151): the dead-letter replay run in the background,
its progress and lease in the service's PostgreSQL (see ``runner`` for the lifecycle)."""
