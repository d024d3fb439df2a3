"""Which roles may call which gRPC method.

A servicer module declares its policy next to its code, from its service descriptor,
so a method added to the proto but forgotten in the policy fails at import time::

    NOTES_POLICY = MethodPolicy.for_service(
        notes_pb2.DESCRIPTOR.services_by_name["NotesService"],
        {
            "CreateNote": {Role.CONTRIBUTOR, Role.ADMIN},
            "GetNote": ANY_AUTHENTICATED,
        },
    )

The server merges the policies of every service it hosts. A method without an entry
is refused (fail closed); health checking and reflection are public.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final

from google.protobuf.descriptor import ServiceDescriptor

from agora_core.grpc.auth import Role

ANY_AUTHENTICATED: Final[frozenset[Role]] = frozenset()
"""Rule for a method any caller with a valid token may use, whatever their roles."""

PUBLIC_METHODS: Final[frozenset[str]] = frozenset(
    {
        "/grpc.health.v1.Health/Check",
        "/grpc.health.v1.Health/Watch",
        "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
        "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
    }
)
"""Methods callable without a token: probes and tooling must work before login."""


@dataclass(frozen=True)
class MethodPolicy:
    """Full method name (``/pkg.Service/Method``) → roles allowed (any of them)."""

    rules: Mapping[str, frozenset[Role]] = field(default_factory=dict)
    public: frozenset[str] = PUBLIC_METHODS

    @classmethod
    def for_service(
        cls, service: ServiceDescriptor, rules: Mapping[str, Iterable[Role]]
    ) -> MethodPolicy:
        """Build a policy for one service; every method must be named exactly once.

        Keys are short method names (``CreateNote``); raises ValueError listing methods
        without a rule and rules for methods the service does not have.
        """
        methods = {method.name for method in service.methods}
        missing = sorted(methods - rules.keys())
        unknown = sorted(rules.keys() - methods)
        if missing or unknown:
            raise ValueError(
                f"policy for {service.full_name} is incomplete: "
                f"methods without a rule {missing}, rules for unknown methods {unknown}"
            )
        return cls(
            rules={
                f"/{service.full_name}/{name}": frozenset(roles) for name, roles in rules.items()
            }
        )

    def merge(self, *others: MethodPolicy) -> MethodPolicy:
        """One policy covering all of them; a method claimed twice is a wiring bug."""
        rules = dict(self.rules)
        public = set(self.public)
        for other in others:
            clash = sorted(rules.keys() & other.rules.keys())
            if clash:
                raise ValueError(f"methods with two policies: {clash}")
            rules.update(other.rules)
            public |= other.public
        return MethodPolicy(rules=rules, public=frozenset(public))

    def is_public(self, method: str) -> bool:
        return method in self.public

    def roles_for(self, method: str) -> frozenset[Role] | None:
        """Roles allowed for ``method`` (empty: any caller), or None when it has no rule."""
        return self.rules.get(method)
