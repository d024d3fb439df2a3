"""A unit of work is never scoped to a missing or blank tenant (pure)."""

from __future__ import annotations

import pytest

from agora_core.postgres.tenancy import TenantViolation, require_tenant

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("tenant", ["", " ", "\t\n"])
def test_a_blank_tenant_is_refused(tenant: str) -> None:
    with pytest.raises(TenantViolation, match="a tenant id is required"):
        require_tenant(tenant)


def test_a_tenant_is_kept_as_given() -> None:
    assert require_tenant("acme") == "acme"
