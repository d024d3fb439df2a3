"""Who acts: the identity every use case takes, free of any transport.

The gRPC layer builds a :class:`Principal` from a verified token; consumers and
background jobs build one for the person an event names. Domain and service-layer code
import identity from here, never from ``agora_core.grpc`` or a JWT library.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Role(enum.StrEnum):
    """Roles a token may grant; policies name the roles each method needs."""

    LEARNER = "learner"
    CONTRIBUTOR = "contributor"
    EXPERT = "expert"
    MANAGER = "manager"
    ADMIN = "admin"


@dataclass(frozen=True)
class Principal:
    """The person acting, the organisation (tenant) they act in and their roles."""

    subject: str
    tenant_id: str
    roles: frozenset[Role] = frozenset()

    def has_any_role(self, roles: frozenset[Role]) -> bool:
        return not self.roles.isdisjoint(roles)

    def has_role(self, role: Role) -> bool:
        return role in self.roles

    @property
    def is_admin(self) -> bool:
        """Tenant administrators may act on everything in their tenant."""
        return Role.ADMIN in self.roles
