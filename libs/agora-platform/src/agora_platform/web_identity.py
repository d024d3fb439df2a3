"""The local OpenID Connect provider of the web app (``apps/web/dev/oidc-provider.mjs``,
npm ``oidc-provider`` as the app's dev dependency): the people of one tenant sign in
with authorization code + PKCE; the services verify its tokens through their ordinary
JWKS settings (``JWT_JWKS_URL``, and ``JWT_ISSUER``/``JWT_AUDIENCE`` where every
caller's token comes from it)."""

from __future__ import annotations

import asyncio
import functools
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final

from agora_platform.web import API_AUDIENCE, API_RESOURCE, ensure_node_modules, web_dir

START_TIMEOUT_SECONDS: Final = 60
ACCESS_TOKEN_TTL_VARIABLE: Final = "AGORA_WEB_OIDC_ACCESS_TOKEN_TTL"  # noqa: S105 - a name


@dataclass(frozen=True)
class LocalPerson:
    person_id: str
    name: str
    roles: tuple[str, ...]


def people_json(tenant: str, people: Iterable[LocalPerson]) -> dict[str, Any]:
    """The provider's directory: one tenant and its people (``peopleFile``'s format)."""
    return {
        "tenant": tenant,
        "people": [{"id": p.person_id, "name": p.name, "roles": list(p.roles)} for p in people],
    }


@dataclass(frozen=True)
class IdentityProvider:
    issuer: str
    audience: str = API_AUDIENCE

    @property
    def jwks_uri(self) -> str:
        return f"{self.issuer}/jwks"


def provider_settings(
    redirect_uris: Iterable[str], *, port: int = 0, **directory: Any
) -> dict[str, Any]:
    """``directory``: ``tenant`` and ``people`` (see people_json), or ``peopleFile``."""
    return {
        "port": port,
        "redirectUris": list(redirect_uris),
        "resource": API_RESOURCE,
        "audience": API_AUDIENCE,
        **directory,
    }


def start_provider(
    root: Path,
    settings: dict[str, Any],
    settings_file: Path,
    stderr: IO[bytes],
    *,
    access_token_ttl: int | None = None,
) -> tuple[subprocess.Popen[bytes], IdentityProvider]:
    """Spawn the provider and wait (blocking) for its issuer line; it exits when the
    returned process's stdin closes, so it never outlives whoever started it.
    ``access_token_ttl`` (seconds) overrides AGORA_WEB_OIDC_ACCESS_TOKEN_TTL (1 h)."""
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("Node.js is needed for the local OpenID Connect provider")
    ensure_node_modules(web_dir(root))
    settings_file.write_text(json.dumps(settings))
    script = web_dir(root) / "dev" / "oidc-provider.mjs"
    env = dict(os.environ)
    if access_token_ttl is not None:
        env[ACCESS_TOKEN_TTL_VARIABLE] = str(access_token_ttl)
    process = subprocess.Popen(  # noqa: S603 - our own script
        [node, str(script), str(settings_file)],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=stderr,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        process.wait()
        raise RuntimeError("the local OpenID Connect provider did not start (see its stderr)")
    return process, IdentityProvider(issuer=json.loads(line)["issuer"])


@asynccontextmanager
async def running_identity_provider(
    root: Path,
    tenant: str,
    people: Iterable[LocalPerson],
    redirect_uris: Iterable[str],
    *,
    access_token_ttl: int | None = None,
) -> AsyncIterator[IdentityProvider]:
    """Start the provider on a free port (for tests); stop it on exit."""
    settings = provider_settings(redirect_uris, **people_json(tenant, people))
    with tempfile.TemporaryDirectory() as scratch:
        errors = Path(scratch) / "stderr.log"
        with errors.open("wb") as stderr:
            try:
                # A worker thread: independent of the loop's child watcher (see
                # libs/agora-core/tests/core_grpc/oidc_provider.py).
                process, provider = await asyncio.wait_for(
                    asyncio.to_thread(
                        functools.partial(
                            start_provider,
                            root,
                            settings,
                            Path(scratch) / "oidc.json",
                            stderr,
                            access_token_ttl=access_token_ttl,
                        )
                    ),
                    START_TIMEOUT_SECONDS,
                )
            except (RuntimeError, TimeoutError) as error:
                raise RuntimeError(
                    f"{error}:\n{errors.read_text(errors='replace')[-2000:]}"
                ) from None
        try:
            yield provider
        finally:
            if process.poll() is None:
                process.terminate()
            await asyncio.to_thread(process.wait)
