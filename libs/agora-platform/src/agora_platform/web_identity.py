"""The local OpenID Connect provider of the web app (``apps/web/dev/oidc-provider.mjs``,
npm ``oidc-provider`` as the app's dev dependency): the people of one tenant sign in
with authorization code + PKCE; the services verify its tokens through their ordinary
JWKS settings (``JWT_JWKS_URL``, ``JWT_ISSUER``, ``JWT_AUDIENCE``)."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from agora_platform.web import API_AUDIENCE, API_RESOURCE, ensure_node_modules, web_dir

START_TIMEOUT_SECONDS: Final = 60


@dataclass(frozen=True)
class LocalPerson:
    person_id: str
    name: str
    roles: tuple[str, ...]


@dataclass(frozen=True)
class IdentityProvider:
    issuer: str
    audience: str = API_AUDIENCE

    @property
    def jwks_uri(self) -> str:
        return f"{self.issuer}/jwks"

    def service_env(self, prefix: str) -> dict[str, str]:
        """The variables a service needs to accept this provider's tokens."""
        return {
            f"{prefix}JWT_JWKS_URL": self.jwks_uri,
            f"{prefix}JWT_ISSUER": self.issuer,
            f"{prefix}JWT_AUDIENCE": self.audience,
        }


def provider_settings(
    tenant: str, people: Iterable[LocalPerson], redirect_uris: Iterable[str], port: int = 0
) -> dict[str, object]:
    return {
        "port": port,
        "tenant": tenant,
        "people": [{"id": p.person_id, "name": p.name, "roles": list(p.roles)} for p in people],
        "redirectUris": list(redirect_uris),
        "resource": API_RESOURCE,
        "audience": API_AUDIENCE,
    }


def provider_command(root: Path, settings_file: Path) -> list[str]:
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("Node.js is needed for the local OpenID Connect provider")
    ensure_node_modules(web_dir(root))
    return [node, str(web_dir(root) / "dev" / "oidc-provider.mjs"), str(settings_file)]


@asynccontextmanager
async def running_identity_provider(
    root: Path, tenant: str, people: Iterable[LocalPerson], redirect_uris: Iterable[str]
) -> AsyncIterator[IdentityProvider]:
    """Start the provider on a free port; stop it on exit (its stderr shown on failure)."""
    with tempfile.TemporaryDirectory() as scratch:
        settings_file = Path(scratch) / "oidc.json"
        settings_file.write_text(json.dumps(provider_settings(tenant, people, redirect_uris)))
        command = await asyncio.to_thread(provider_command, root, settings_file)
        errors = Path(scratch) / "stderr.log"
        with errors.open("wb") as stderr:
            # A plain process read from a worker thread: independent of the loop's
            # child watcher (see libs/agora-core/tests/core_grpc/oidc_provider.py).
            process = subprocess.Popen(  # noqa: S603, ASYNC220 - our own script
                command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr
            )
        assert process.stdout is not None
        try:
            try:
                line = await asyncio.wait_for(
                    asyncio.to_thread(process.stdout.readline), START_TIMEOUT_SECONDS
                )
            except TimeoutError:
                line = b""
            if not line:
                raise RuntimeError(
                    "the local OpenID Connect provider did not start:\n"
                    + errors.read_text(errors="replace")[-2000:]
                )
            yield IdentityProvider(issuer=json.loads(line)["issuer"])
        finally:
            if process.poll() is None:
                process.terminate()
            await asyncio.to_thread(process.wait)
