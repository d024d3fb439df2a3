"""Tokens for test callers, and assertions on gRPC failures (shared ones live in
agora_core.testing.grpc_assertions)."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from agora_core.testing.grpc_assertions import (
    DEV_SECRET,
    Metadata,
    assert_status,
    caller,
    field_violations,
    rich_status,
    rpc_error,
)

__all__ = [
    "DEV_SECRET",
    "Metadata",
    "assert_status",
    "caller",
    "field_violations",
    "public_pem",
    "rich_status",
    "rpc_error",
]


def public_pem(private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    """The PEM (SubjectPublicKeyInfo) of a private key's public half."""
    public = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return public.decode()
