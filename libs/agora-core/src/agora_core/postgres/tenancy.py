"""The tenant every unit of work is scoped to (row-level security reads it)."""

from __future__ import annotations


class TenantViolation(Exception):
    """Code tried to read or write without a tenant, or outside its own (a bug)."""


def require_tenant(tenant_id: str) -> str:
    """``tenant_id`` itself; a missing or blank tenant is refused."""
    if not isinstance(tenant_id, str) or not tenant_id.strip():
        raise TenantViolation("a tenant id is required")
    return tenant_id
