"""Open Badges 3.0: an award as an ``OpenBadgeCredential`` (a W3C Verifiable Credential).

The credential is JSON-LD; when a signing key is configured it is also returned as a
VC-JWT (JOSE compact serialisation, the credential itself as the JWT claims set, as
VC-JOSE-COSE describes for VC 2.0), signed ES256 or EdDSA.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Final

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.serialization import load_pem_private_key

CONTEXT: Final = (
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
)
STATUS_TYPE: Final = "1EdTechRevocationList"


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def build_credential(
    *,
    base_url: str,
    issuer_name: str,
    tenant_id: str,
    award: Mapping[str, Any],
    badge: Mapping[str, Any],
) -> dict[str, Any]:
    """The JSON-LD credential of one award (``award``/``badge`` as stored)."""
    issuer_id = f"{base_url}/tenants/{tenant_id}/issuer"
    achievement_id = f"{base_url}/tenants/{tenant_id}/achievements/{badge['badge_id']}"
    achievement: dict[str, Any] = {
        "id": achievement_id,
        "type": ["Achievement"],
        "name": badge["name"],
        "description": badge.get("description") or badge["name"],
        "criteria": {"narrative": badge.get("criteria_narrative") or badge["name"]},
        "alignment": [
            {
                "type": ["Alignment"],
                "targetName": skill,
                "targetUrl": f"{base_url}/tenants/{tenant_id}/skills/{skill}",
                "targetType": "Skill",
            }
            for skill in badge.get("skill_ids", ())
        ],
    }
    if badge.get("image_url"):
        achievement["image"] = {"id": badge["image_url"], "type": "Image"}
    return {
        "@context": list(CONTEXT),
        "id": f"urn:uuid:{_as_uuid(award['_id'])}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer_id, "type": ["Profile"], "name": issuer_name},
        "validFrom": _iso(award["awarded_at"]),
        "name": badge["name"],
        "credentialSubject": {
            "id": f"{base_url}/tenants/{tenant_id}/learners/{award['learner_id']}",
            "type": ["AchievementSubject"],
            "achievement": achievement,
        },
        "credentialStatus": {
            "id": f"{base_url}/tenants/{tenant_id}/credentials/{award['_id']}/status",
            "type": STATUS_TYPE,
            "revoked": bool(award.get("revoked", False)),
            **({"revocationReason": award["revocation_reason"]} if award.get("revoked") else {}),
        },
    }


def _as_uuid(hex_id: str) -> str:
    h = (hex_id + "0" * 32)[:32]
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class CredentialSigner:
    """Signs credentials with a PEM private key (EC P-256 → ES256, Ed25519 → EdDSA)."""

    def __init__(self, private_key_pem: str, key_id: str) -> None:
        key = load_pem_private_key(private_key_pem.encode(), password=None)
        if isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1):
            self.algorithm = "ES256"
        elif isinstance(key, ed25519.Ed25519PrivateKey):
            self.algorithm = "EdDSA"
        else:
            raise ValueError("the signing key must be EC P-256 (ES256) or Ed25519 (EdDSA)")
        self._key = key
        self.key_id = key_id

    def sign(self, credential: Mapping[str, Any]) -> str:
        """The credential as a compact JWS (VC-JWT)."""
        claims = dict(credential)
        claims["iss"] = credential["issuer"]["id"]
        claims["jti"] = credential["id"]
        claims["sub"] = credential["credentialSubject"]["id"]
        return jwt.encode(
            claims,
            self._key,
            algorithm=self.algorithm,
            headers={"kid": self.key_id, "typ": "vc+jwt", "cty": "vc"},
        )
