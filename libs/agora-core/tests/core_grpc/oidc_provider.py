"""A real OpenID Connect provider (npm ``oidc-provider``) in a Node.js process, and an
HTTP client obtaining tokens from it the way apps do.

``oidc/package.json`` and ``oidc/package-lock.json`` pin the provider; ``npm ci`` installs
them once per lock file into ``~/.cache/agora/oidc-provider-<hash>``
(:func:`agora_core.testing.npm_project.installed_npm_project`), where
``oidc/provider.mjs`` runs (see its header for the three providers it starts).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qs, urljoin, urlsplit

import aiohttp

from agora_core.testing.npm_project import installed_npm_project

HERE: Final = Path(__file__).with_name("oidc")
AGORA_API: Final = "https://agora.example/api"
BILLING_API: Final = "https://billing.example/api"
WEB_CLIENT: Final = "agora-web"
REDIRECT_URI: Final = "http://127.0.0.1/callback"
START_TIMEOUT_SECONDS: Final = 60
_PROMPT: Final = re.compile(r'name="prompt" value="(\w+)"')


def installed_provider() -> Path:
    """The directory with ``node_modules`` installed by ``npm ci`` from the pinned lock."""
    return installed_npm_project(HERE, "oidc-provider", ("provider.mjs",))


@dataclass
class OidcProvider:
    """The running providers and a client of theirs."""

    issuer: str
    foreign_issuer: str
    foreign_key_token_url: str
    jwks_uri: str
    http: aiohttp.ClientSession

    async def client_credentials(
        self,
        client_id: str = "agora-worker",
        *,
        resource: str = AGORA_API,
        token_url: str | None = None,
    ) -> str:
        """An access token of a machine client (client-credentials grant)."""
        form = {"grant_type": "client_credentials", "scope": "agora", "resource": resource}
        headers = {"Authorization": aiohttp.encode_basic_auth(client_id, f"{client_id}-secret")}
        url = token_url or f"{self.issuer}/token"
        async with self.http.post(url, data=form, headers=headers) as response:
            body = await response.json()
            assert response.status == 200, body
        return str(body["access_token"])

    async def authorization_code(self, login: str, *, resource: str = AGORA_API) -> str:
        """An access token of a person signing in through a public app with PKCE.

        Follows the provider's redirects, fills in its login and consent forms, takes
        the code from the redirect to the app and redeems it with the code verifier.
        """
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        state = secrets.token_urlsafe(16)
        query = {
            "client_id": WEB_CLIENT,
            "response_type": "code",
            "redirect_uri": REDIRECT_URI,
            "scope": "openid agora",
            "resource": resource,
            "state": state,
            "code_challenge": challenge.rstrip(b"=").decode(),
            "code_challenge_method": "S256",
        }
        jar = aiohttp.CookieJar(unsafe=True)  # the browser's cookies, on a loopback IP
        async with aiohttp.ClientSession(cookie_jar=jar) as browser:
            url = f"{self.issuer}/auth"
            params: dict[str, str] | None = query
            for _step in range(10):
                async with browser.get(url, params=params, allow_redirects=False) as page:
                    params = None
                    if page.status in (302, 303):
                        url = urljoin(url, page.headers["Location"])
                        if url.startswith(REDIRECT_URI):
                            break
                        continue
                    html = await page.text()
                    assert page.status == 200, html
                url = await _submit_form(browser, url, html, login)
            else:
                raise AssertionError("the authorization flow did not reach the app")
        answer = {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
        assert answer.get("state") == state, answer
        assert answer.get("iss") == self.issuer, answer
        form = {
            "grant_type": "authorization_code",
            "code": answer["code"],
            "redirect_uri": REDIRECT_URI,
            "client_id": WEB_CLIENT,
            "code_verifier": verifier,
            "resource": resource,
        }
        async with self.http.post(f"{self.issuer}/token", data=form) as response:
            body = await response.json()
            assert response.status == 200, body
        return str(body["access_token"])

    async def rotate_keys(self) -> str:
        """Make the main provider sign with a new key (the old one stays listed)."""
        async with self.http.post(f"{self.issuer}/__test/rotate") as response:
            assert response.status == 200
            body: dict[str, Any] = await response.json()
        return str(body["kid"])


async def _submit_form(browser: aiohttp.ClientSession, url: str, html: str, login: str) -> str:
    """Answer the provider's login or consent page; return where it sends the browser."""
    prompt = _PROMPT.search(html)
    assert prompt is not None, html
    form = {"prompt": prompt.group(1)}
    if prompt.group(1) == "login":
        form |= {"login": login, "password": "any"}
    async with browser.post(url, data=form, allow_redirects=False) as answer:
        assert answer.status in (302, 303), await answer.text()
        return urljoin(url, answer.headers["Location"])


async def _start_provider(directory: Path) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    """Spawn ``provider.mjs`` and read the line it prints once listening.

    A plain process read from a worker thread, independent of the test loop's child
    watcher; its stderr goes to a file that a start-up failure shows. One retry: a
    start that hangs (seen once at the end of a full CI run) is killed and tried again.
    """
    node = shutil.which("node")
    assert node is not None, "Node.js is needed for the OpenID Connect tests"
    failures: list[str] = []
    for _attempt in range(2):
        errors = tempfile.TemporaryFile()  # noqa: SIM115 - closed below or with the process
        process = subprocess.Popen(  # noqa: S603, ASYNC220 - our own script; spawning is quick
            [node, "provider.mjs"],
            cwd=directory,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
        )
        assert process.stdout is not None
        try:
            line = await asyncio.wait_for(
                asyncio.to_thread(process.stdout.readline), START_TIMEOUT_SECONDS
            )
        except TimeoutError:
            line = b""
        if line:
            errors.close()
            started: dict[str, Any] = json.loads(line)
            return process, started
        process.kill()
        process.wait()
        errors.seek(0)
        failures.append(errors.read().decode(errors="replace")[-2000:] or "(no output)")
        errors.close()
    raise AssertionError("the OpenID Connect provider did not start:\n" + "\n---\n".join(failures))


@asynccontextmanager
async def running_provider() -> AsyncIterator[OidcProvider]:
    """Start ``provider.mjs`` and yield a client of it; stop it on exit."""
    directory = await asyncio.to_thread(installed_provider)
    process, started = await _start_provider(directory)
    try:
        async with aiohttp.ClientSession() as http:
            discovery_url = f"{started['issuer']}/.well-known/openid-configuration"
            async with http.get(discovery_url) as response:
                discovery = await response.json()
            yield OidcProvider(
                issuer=started["issuer"],
                foreign_issuer=started["foreign_issuer"],
                foreign_key_token_url=started["foreign_key_token_url"],
                jwks_uri=discovery["jwks_uri"],
                http=http,
            )
    finally:
        if process.poll() is None:
            process.terminate()
        await asyncio.to_thread(process.wait)
