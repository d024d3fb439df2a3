"""From a verified token's claims to a :class:`Principal`, by the deployment's rules.

Agora's own tokens carry ``sub``, ``tenant`` and ``roles`` (Agora role names); a
company identity provider puts them elsewhere, under its own role names. The rules
(claim paths, a fixed tenant, a role mapping) come from :class:`ServiceSettings` and
were checked at start-up; here every refusal is Unauthenticated naming the claim.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final, TypeGuard

from agora_contracts.events.envelope import SYSTEM_ACTOR_PREFIX, TENANT_ID_PATTERN
from agora_core.claim_paths import ClaimPath, MissingClaim
from agora_core.errors import Unauthenticated
from agora_core.identity import Principal, Role
from agora_core.settings import ServiceSettings

MAX_SUBJECT_LENGTH: Final = 200
"""The longest subject: it becomes the ``actorid`` of the events the caller causes
(at most 200 characters in the event contract)."""
MAX_AGORA_ROLES: Final = 16
"""Entries of a roles claim holding Agora role names (no mapping)."""
MAX_PROVIDER_ROLES: Final = 512
"""Entries of a provider's roles or groups claim (with a mapping): groups lists are long."""
MAX_ROLE_NAME_LENGTH: Final = 256
_TENANT: Final = re.compile(TENANT_ID_PATTERN)
_AGORA_ROLES: Final = {role.value: role for role in Role}


class ClaimRules:
    """Reads subject, tenant and roles where this deployment's provider puts them."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.subject = ClaimPath.parse(settings.jwt_subject_claim)
        self.tenant = ClaimPath.parse(settings.jwt_tenant_claim)
        self.roles = ClaimPath.parse(settings.jwt_roles_claim)
        self.fixed_tenant = settings.jwt_fixed_tenant
        self.role_mapping: Mapping[str, Role] = dict(settings.jwt_role_mapping)
        self.roles_required = settings.jwt_roles_claim_required

    def principal(self, claims: Mapping[str, object]) -> Principal:
        """The caller the claims describe; Unauthenticated naming a missing or bad claim."""
        subject = self._required(self.subject, claims)
        tenant = self.fixed_tenant or self._required(self.tenant, claims)
        try:
            granted: object = self.roles.lookup(claims)
        except MissingClaim:
            if self.roles_required:
                raise Unauthenticated(f"token lacks claim {self.roles.text!r}") from None
            granted = []
        valid_subject = subject if _is_subject(subject) else None
        valid_tenant = tenant if isinstance(tenant, str) and _TENANT.fullmatch(tenant) else None
        roles = self._roles(granted)
        if valid_subject is None or valid_tenant is None or roles is None:
            invalid = [
                path.text
                for path, value in (
                    (self.subject, valid_subject),
                    (self.tenant, valid_tenant),
                    (self.roles, roles),
                )
                if value is None
            ]
            raise Unauthenticated(f"invalid claims: {', '.join(sorted(invalid))}")
        return Principal(subject=valid_subject, tenant_id=valid_tenant, roles=roles)

    @staticmethod
    def _required(path: ClaimPath, claims: Mapping[str, object]) -> object:
        try:
            return path.lookup(claims)
        except MissingClaim:
            raise Unauthenticated(f"token lacks claim {path.text!r}") from None

    def _roles(self, granted: object) -> frozenset[Role] | None:
        """Agora roles of the claim's names, or None when the claim is malformed."""
        if not isinstance(granted, list) or not all(
            isinstance(name, str) and len(name) <= MAX_ROLE_NAME_LENGTH for name in granted
        ):
            return None
        if self.role_mapping:
            if len(granted) > MAX_PROVIDER_ROLES:
                return None
            # A provider's other roles and groups are none of Agora's business.
            return frozenset(
                self.role_mapping[name] for name in granted if name in self.role_mapping
            )
        if len(granted) > MAX_AGORA_ROLES or any(name not in _AGORA_ROLES for name in granted):
            return None
        return frozenset(_AGORA_ROLES[name] for name in granted)


def _is_subject(value: object) -> TypeGuard[str]:
    # ``system:…`` is the actorid of the platform's own events: no person may carry it.
    return (
        isinstance(value, str)
        and 1 <= len(value) <= MAX_SUBJECT_LENGTH
        and not value.startswith(SYSTEM_ACTOR_PREFIX)
    )
