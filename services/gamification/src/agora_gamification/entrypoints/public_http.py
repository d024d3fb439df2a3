"""The public HTTP endpoint: what verifiers of Open Badges credentials dereference.

A credential names URLs under ``AGORA_GAMIFICATION_PUBLIC_BASE_URL``; an ingress maps
that base to this port (and only this port: metrics stay on the side port). No token:
a verifier is anyone the learner shows the credential to.

- ``GET /tenants/{tenant}/credentials/{award}/status``: the credential's revocation list
  (1EdTech Revocation List Status Method): ``revokedCredentials`` holds the credential
  once revoked, with its reason. Never cached, so a revocation is seen at once.
- ``GET /tenants/{tenant}/issuer``: the issuer ``Profile``, with the public key that
  checks the VC-JWTs (``publicKeyJwk``) and the JWKS URL when signing is on;
- ``GET /tenants/{tenant}/issuer/jwks``: the issuer's JSON Web Key Set;
- ``GET /tenants/{tenant}/issuer/keys/{key}``: one key as a JWK, the URL a VC-JWT's
  ``kid`` names.

Malformed ids get 400, unknown awards 404, both as JSON; nothing else is served.
"""

from __future__ import annotations

import json
import re
from typing import Final

from aiohttp import web

from agora_contracts.events.envelope import TENANT_ID_PATTERN
from agora_core.errors import NotFound
from agora_core.http_server import HttpServer
from agora_gamification.service_layer.awards import Awards

TENANT_ID: Final = re.compile(TENANT_ID_PATTERN)
AWARD_ID: Final = re.compile(r"^[0-9a-f]{32}$")
KEY_ID: Final = re.compile(r"^[A-Za-z0-9._-]{1,200}$")
JSON_LD: Final = "application/ld+json"


class CredentialsHttp(HttpServer):
    """Credential status and issuer profile, read-only, for anyone."""

    def __init__(self, host: str, port: int, awards: Awards) -> None:
        self._awards = awards
        super().__init__(
            host,
            port,
            [
                web.get("/tenants/{tenant}/credentials/{award}/status", self._status),
                web.get("/tenants/{tenant}/issuer", self._issuer),
                web.get("/tenants/{tenant}/issuer/jwks", self._jwks),
                web.get("/tenants/{tenant}/issuer/keys/{key}", self._key),
            ],
            client_max_size=1024,
        )

    async def _status(self, request: web.Request) -> web.Response:
        tenant = _checked(request, "tenant", TENANT_ID)
        award = _checked(request, "award", AWARD_ID)
        try:
            status = await self._awards.revocation_list(tenant, award)
        except NotFound:
            raise _error(web.HTTPNotFound, "not_found", "no such credential") from None
        return web.json_response(
            status, content_type=JSON_LD, headers={"Cache-Control": "no-store"}
        )

    async def _issuer(self, request: web.Request) -> web.Response:
        tenant = _checked(request, "tenant", TENANT_ID)
        return web.json_response(
            self._awards.issuer(tenant),
            content_type=JSON_LD,
            headers={"Cache-Control": "public, max-age=300"},
        )

    async def _jwks(self, request: web.Request) -> web.Response:
        tenant = _checked(request, "tenant", TENANT_ID)
        return web.json_response(
            self._awards.public_keys(tenant),
            content_type="application/jwk-set+json",
            headers={"Cache-Control": "public, max-age=300"},
        )

    async def _key(self, request: web.Request) -> web.Response:
        tenant = _checked(request, "tenant", TENANT_ID)
        key = _checked(request, "key", KEY_ID)
        try:
            jwk = self._awards.public_key(tenant, key)
        except NotFound:
            raise _error(web.HTTPNotFound, "not_found", "no such key") from None
        return web.json_response(
            jwk,
            content_type="application/jwk+json",
            headers={"Cache-Control": "public, max-age=300"},
        )


def _checked(request: web.Request, name: str, shape: re.Pattern[str]) -> str:
    value = request.match_info[name]
    if not shape.fullmatch(value):
        raise _error(web.HTTPBadRequest, "invalid_argument", f"malformed {name} id")
    return value


def _error(kind: type[web.HTTPError], code: str, message: str) -> web.HTTPError:
    return kind(
        text=json.dumps({"error": code, "message": message}), content_type="application/json"
    )
