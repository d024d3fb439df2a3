"""Client-side helpers for calling Agora gRPC services."""

from __future__ import annotations

from agora_core.grpc.auth_interceptor import AUTHORIZATION_KEY


def bearer_metadata(token: str) -> tuple[tuple[str, str]]:
    """Call metadata presenting ``token``: pass as ``metadata=`` on any stub call."""
    return ((AUTHORIZATION_KEY, f"Bearer {token}"),)
