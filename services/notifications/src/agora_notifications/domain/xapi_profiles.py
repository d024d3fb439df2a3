"""Which xAPI identity each tenant's statements carry (pure: settings in, profiles out)."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote

from agora_contracts.xapi import TenantXapiProfile


class XapiProfiles:
    """Builds (and caches) each tenant's :class:`TenantXapiProfile`.

    ``home_page`` and ``activity_base`` are templates: ``{tenant}`` is the tenant id
    (percent-encoded), ``{home_page}`` (in ``activity_base``) the tenant's home page.
    ``home_pages`` overrides the home page of named tenants (an organisation's own
    site). A template that does not give an absolute IRI fails on first use, and
    :meth:`check` makes it fail at start-up.
    """

    def __init__(
        self,
        *,
        home_page: str,
        home_pages: Mapping[str, str],
        activity_base: str,
        extension_base: str,
    ) -> None:
        self._home_page = home_page
        self._home_pages = dict(home_pages)
        self._activity_base = activity_base
        self._extension_base = extension_base
        self._cache: dict[str, TenantXapiProfile] = {}

    def for_tenant(self, tenant_id: str) -> TenantXapiProfile:
        """The profile of ``tenant_id`` (raises ``ValueError`` on a bad template)."""
        cached = self._cache.get(tenant_id)
        if cached is not None:
            return cached
        tenant = quote(tenant_id, safe="-._~")
        home_page = self._home_pages.get(tenant_id) or self._home_page.format(tenant=tenant)
        profile = TenantXapiProfile(
            tenant_id=tenant_id,
            home_page=home_page,
            activity_base=self._activity_base.format(
                tenant=tenant, home_page=home_page.rstrip("/")
            ),
            extension_base=self._extension_base,
        )
        self._cache[tenant_id] = profile
        return profile

    def check(self) -> None:
        """Fail fast: build a profile for a sample tenant and for every override."""
        for tenant_id in ["example-tenant", *self._home_pages]:
            self.for_tenant(tenant_id)
