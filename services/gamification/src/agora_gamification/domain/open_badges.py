"""Open Badges 3.0: an award as an ``OpenBadgeCredential`` (a W3C Verifiable Credential).

The credential is JSON-LD; when a signing key is configured it is also returned as a
VC-JWT in the Open Badges 3.0 JWT proof format: JOSE header ``alg`` (RS256, ES256 or
EdDSA), ``typ: JWT`` and ``kid``, a URL that dereferences to the public key as a JWK
(served by the public endpoint, as is the issuer's JWKS); the credential itself is the
claims set with ``iss``, ``jti``, ``sub`` and ``nbf`` (= ``validFrom``) added.
Revocation follows the 1EdTech Revocation List Status Method: ``credentialStatus``
names the list (``id``, ``type``), and the list says whether the credential is revoked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Final

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from agora_gamification.domain.awards import Award
from agora_gamification.domain.badges import BadgeDefinition

CONTEXT: Final = (
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
)
CREDENTIAL_CONTEXT: Final = (*CONTEXT, "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json")
"""A credential's contexts: OB 3.0's extensions define its status type
(``1EdTechRevocationList``), which neither the VC nor the OB context does."""
KEY_TERMS: Final = {
    "publicKeyJwk": {"@id": "https://w3id.org/security#publicKeyJwk", "@type": "@json"},
    "jwks_uri": {
        "@id": "https://www.iana.org/assignments/oauth-parameters#jwks_uri",
        "@type": "@id",
    },
}
"""The issuer profile's key terms, which no OB or VC context defines: the security
vocabulary's ``publicKeyJwk`` and OAuth's registered ``jwks_uri``."""
STATUS_TYPE: Final = "1EdTechRevocationList"
SKILL_ALIGNMENT: Final = "ceasn:Competency"
"""``Alignment.targetType`` of a skill (a value of the OB 3.0 AlignmentTargetType)."""


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def issuer_id(base_url: str, tenant_id: str) -> str:
    """URL of the tenant's issuer ``Profile`` (served by the public endpoint)."""
    return f"{base_url}/tenants/{tenant_id}/issuer"


def key_url(base_url: str, tenant_id: str, key_id: str) -> str:
    """URL of the issuer's public key as a JWK: the ``kid`` of its VC-JWTs."""
    return f"{issuer_id(base_url, tenant_id)}/keys/{key_id}"


def jwks_url(base_url: str, tenant_id: str) -> str:
    """URL of the issuer's JSON Web Key Set."""
    return f"{issuer_id(base_url, tenant_id)}/jwks"


def status_url(base_url: str, tenant_id: str, award_id: str) -> str:
    """URL of one credential's revocation list (served by the public endpoint)."""
    return f"{base_url}/tenants/{tenant_id}/credentials/{award_id}/status"


def credential_id(award_id: str) -> str:
    """The credential's ``id``: a URN made of the award id."""
    return f"urn:uuid:{_as_uuid(award_id)}"


def issuer_profile(
    *, base_url: str, issuer_name: str, tenant_id: str, signer: CredentialSigner | None
) -> dict[str, Any]:
    """The issuer's OB 3.0 ``Profile``; with a signing key, the key a verifier checks
    VC-JWTs with, under the ``kid`` the tokens carry."""
    profile: dict[str, Any] = {
        "@context": [*CONTEXT],
        "id": issuer_id(base_url, tenant_id),
        "type": ["Profile"],
        "name": issuer_name,
    }
    if signer is not None:
        profile["@context"].append(KEY_TERMS)
        profile["publicKeyJwk"] = signer.public_jwk(key_url(base_url, tenant_id, signer.key_id))
        profile["jwks_uri"] = jwks_url(base_url, tenant_id)
    return profile


def revocation_list(*, base_url: str, tenant_id: str, award: Award) -> dict[str, Any]:
    """What a verifier reads at a credential's ``credentialStatus.id``
    (1EdTech Revocation List Status Method): the list of revoked credentials it covers,
    here exactly one credential, listed once it is revoked."""
    award_id = award.award_id
    revoked = award.revoked
    entry: dict[str, Any] = {"id": credential_id(award_id)}
    if revoked and award.revocation_reason:
        entry["revocationReason"] = award.revocation_reason
    return {
        "id": status_url(base_url, tenant_id, award_id),
        "type": STATUS_TYPE,
        "issuer": issuer_id(base_url, tenant_id),
        "revokedCredentials": [entry] if revoked else [],
    }


def build_credential(
    *,
    base_url: str,
    issuer_name: str,
    tenant_id: str,
    award: Award,
    badge: BadgeDefinition,
) -> dict[str, Any]:
    """The JSON-LD credential of one award of ``badge``."""
    achievement_id = f"{base_url}/tenants/{tenant_id}/achievements/{badge.badge_id}"
    achievement: dict[str, Any] = {
        "id": achievement_id,
        "type": ["Achievement"],
        "name": badge.name,
        "description": badge.description or badge.name,
        "criteria": {"narrative": badge.criteria_narrative or badge.name},
        "alignment": [
            {
                "type": ["Alignment"],
                "targetName": skill,
                "targetUrl": f"{base_url}/tenants/{tenant_id}/skills/{skill}",
                "targetType": SKILL_ALIGNMENT,
            }
            for skill in badge.skill_ids
        ],
    }
    if badge.image_url:
        achievement["image"] = {"id": badge.image_url, "type": "Image"}
    return {
        "@context": list(CREDENTIAL_CONTEXT),
        "id": credential_id(award.award_id),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer_id(base_url, tenant_id), "type": ["Profile"], "name": issuer_name},
        "validFrom": _iso(award.awarded_at),
        "name": badge.name,
        "credentialSubject": {
            "id": f"{base_url}/tenants/{tenant_id}/learners/{award.learner_id}",
            "type": ["AchievementSubject"],
            "achievement": achievement,
        },
        "credentialStatus": {
            "id": status_url(base_url, tenant_id, award.award_id),
            "type": STATUS_TYPE,
        },
    }


def _as_uuid(hex_id: str) -> str:
    h = (hex_id + "0" * 32)[:32]
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class CredentialSigner:
    """Signs credentials with a PEM private key: RSA (2048 bits or more) → RS256,
    EC P-256 → ES256, Ed25519 → EdDSA."""

    def __init__(self, private_key_pem: str, key_id: str) -> None:
        key = load_pem_private_key(private_key_pem.encode(), password=None)
        if isinstance(key, rsa.RSAPrivateKey) and key.key_size >= 2048:
            self.algorithm = "RS256"
        elif isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1):
            self.algorithm = "ES256"
        elif isinstance(key, ed25519.Ed25519PrivateKey):
            self.algorithm = "EdDSA"
        else:
            raise ValueError(
                "the signing key must be RSA of 2048 bits or more (RS256), EC P-256 (ES256) "
                "or Ed25519 (EdDSA)"
            )
        self._key = key
        self.key_id = key_id

    def public_jwk(self, kid: str) -> dict[str, Any]:
        """The public half of the signing key as a JWK (``kid``, ``alg``, ``use``)."""
        public = self._key.public_key()
        if isinstance(public, rsa.RSAPublicKey):
            jwk = RSAAlgorithm.to_jwk(public, as_dict=True)
        elif isinstance(public, ec.EllipticCurvePublicKey):
            jwk = ECAlgorithm.to_jwk(public, as_dict=True)
        else:
            jwk = OKPAlgorithm.to_jwk(public, as_dict=True)
        return {**jwk, "kid": kid, "alg": self.algorithm, "use": "sig"}

    def sign(self, credential: Mapping[str, Any], kid: str) -> str:
        """The credential as a compact JWS in the OB 3.0 JWT proof format."""
        claims = dict(credential)
        claims["iss"] = credential["issuer"]["id"]
        claims["jti"] = credential["id"]
        claims["sub"] = credential["credentialSubject"]["id"]
        claims["nbf"] = int(dt.datetime.fromisoformat(credential["validFrom"]).timestamp())
        return jwt.encode(
            claims, self._key, algorithm=self.algorithm, headers={"kid": kid, "typ": "JWT"}
        )
