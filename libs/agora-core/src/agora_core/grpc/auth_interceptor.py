"""Authenticate every call and check its method's role policy.

Install inside :class:`~agora_core.grpc.error_mapping.ErrorMappingInterceptor`: this
interceptor raises :class:`~agora_core.errors.Unauthenticated` and
:class:`~agora_core.errors.PermissionDenied`, which that one turns into statuses.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Final

import grpc
import structlog

from agora_core.errors import PermissionDenied, Unauthenticated
from agora_core.grpc.auth import TokenVerifier, principal_scope
from agora_core.grpc.handler_wrapping import Context, ScopeInterceptor
from agora_core.grpc.policy import MethodPolicy

AUTHORIZATION_KEY: Final = "authorization"
BEARER_SCHEME: Final = "bearer"


def bearer_token(metadata: Iterable[tuple[str, str | bytes]] | None) -> str:
    """The token of the ``authorization: Bearer <token>`` entry; Unauthenticated if absent."""
    values = [value for key, value in metadata or () if key == AUTHORIZATION_KEY]
    if not values:
        raise Unauthenticated("missing bearer token")
    if len(values) > 1:
        raise Unauthenticated("more than one authorization header")
    value = values[0]
    if isinstance(value, bytes):
        raise Unauthenticated("authorization header must be text")
    scheme, _, token = value.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != BEARER_SCHEME or not token:
        raise Unauthenticated("authorization header must be 'Bearer <token>'")
    return token


class AuthInterceptor(ScopeInterceptor):
    """Verifies the bearer JWT, enforces the method policy and exposes the principal.

    Inside the handler, :func:`agora_core.grpc.auth.current_principal` returns the
    caller and structlog's context variables carry ``subject`` and ``tenant``.
    """

    def __init__(self, verifier: TokenVerifier, policy: MethodPolicy) -> None:
        self._verifier = verifier
        self._policy = policy

    @asynccontextmanager
    async def scope(
        self, details: grpc.HandlerCallDetails, context: Context
    ) -> AsyncIterator[None]:
        method = details.method
        if self._policy.is_public(method):
            yield
            return
        allowed = self._policy.roles_for(method)
        if allowed is None:
            # Fail closed: a method nobody wrote a rule for is nobody's to call.
            raise PermissionDenied(f"method {method} has no access policy")
        principal = await self._verifier.verify(bearer_token(details.invocation_metadata))
        if allowed and not principal.has_any_role(allowed):
            needed = ", ".join(sorted(allowed))
            raise PermissionDenied(f"this method needs one of the roles: {needed}")
        with principal_scope(principal):
            # Not reset on exit, on purpose: each call runs in its own task, so nothing
            # leaks to other calls, and the error-mapping interceptor (outside this one)
            # logs failures with the caller still in context.
            structlog.contextvars.bind_contextvars(
                subject=principal.subject, tenant=principal.tenant_id
            )
            yield
