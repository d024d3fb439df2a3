"""Per-tenant identity settings of the xAPI projection."""

from __future__ import annotations

from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field

from agora_contracts.xapi.statement import Iri


class TenantXapiProfile(BaseModel):
    """Where one tenant's statements point: its home page and its activity IRIs.

    ``home_page`` is the ``account.homePage`` of every actor of the tenant (the
    organisation's canonical site; person ids are only unique within it).
    ``activity_base`` prefixes activity ids: ``<activity_base>/<kind>/<id>``.
    ``extension_base`` prefixes Agora's extension keys (platform-wide, stable).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    tenant_id: str = Field(min_length=1, max_length=200)
    home_page: Iri
    activity_base: Iri
    extension_base: Iri

    def activity_id(self, kind: str, entity_id: str) -> str:
        """The IRI of an entity of ``kind`` (ids are percent-encoded where needed)."""
        return f"{self.activity_base.rstrip('/')}/{kind}/{_segment(entity_id)}"

    def extension(self, name: str) -> str:
        return f"{self.extension_base.rstrip('/')}/{name}"


def _segment(value: str) -> str:
    return quote(value, safe="-._~")
