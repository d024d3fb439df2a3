"""A web page in headless Chromium calls the catalog service through Connect with the
generated TypeScript client (JSON and binary), across origins (CORS preflight with
the Authorization header), with an access token from a real OpenID Connect provider
(authorization code + PKCE, Keycloak-shaped claims), and sees what native gRPC
answers; a page from an origin the deployment did not list cannot call at all."""

from __future__ import annotations

import asyncio
import base64
import json
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
from aiohttp import web
from google.rpc import error_details_pb2

from agora.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from agora_catalog.bootstrap import build
from agora_catalog.settings import CatalogSettings
from agora_core.grpc.client import bearer_metadata
from agora_core.grpc.status_details import error_info, field_violations
from agora_core.testing.grpc_assertions import rpc_error
from agora_core.testing.service_harness import running_service, test_settings

from .browser import chromium
from .oidc import OidcProvider, running_provider

pytestmark = pytest.mark.system

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = ROOT / "clients" / "typescript"
NODE_BIN = CLIENTS / "node_modules" / ".bin"


@dataclass
class Site:
    origin: str
    runner: web.AppRunner


async def serve_page(directory: Path) -> Site:
    """A static site (index.html + page.js) on its own loopback origin."""
    app = web.Application()
    app.router.add_static("/", directory)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return Site(f"http://127.0.0.1:{runner.addresses[0][1]}", runner)


async def run(*command: str, cwd: Path = CLIENTS) -> str:
    # Asynchronous, so the service in this event loop keeps answering the browser.
    process = await asyncio.create_subprocess_exec(
        *command,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=240)
    assert process.returncode == 0, f"{command[0]} failed:\n{stderr.decode()[-3000:]}"
    return stdout.decode()


@pytest.fixture(scope="module")
async def page_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The page and its bundle (the generated client and Connect-ES, by esbuild)."""
    await run(sys.executable, str(ROOT / "tools" / "proto_products.py"), "install", cwd=ROOT)
    directory = tmp_path_factory.mktemp("browser-page")
    await run(
        str(NODE_BIN / "esbuild"),
        "test/browser/page.ts",
        "--bundle",
        "--format=esm",
        f"--outfile={directory / 'page.js'}",
    )
    (directory / "index.html").write_text(
        '<!doctype html><html><head><script type="module" src="page.js"></script>'
        "</head><body>Agora</body></html>"
    )
    return directory


@pytest.fixture
async def sites(page_dir: Path) -> AsyncIterator[tuple[Site, Site]]:
    allowed, other = await serve_page(page_dir), await serve_page(page_dir)
    yield allowed, other
    await allowed.runner.cleanup()
    await other.runner.cleanup()


async def in_browser(site: Site, connect_url: str, token: str, *, binary: bool) -> Any:
    fragment = f"connect={connect_url}&token={token}&binary={int(binary)}"
    output = await run(
        "node", "test/browser/run.mjs", str(chromium()), f"{site.origin}/index.html#{fragment}"
    )
    return json.loads(output)["result"]


@pytest.fixture(scope="module")
async def oidc() -> AsyncIterator[OidcProvider]:
    async with running_provider() as provider:
        yield provider


@pytest.mark.parametrize("binary", [False, True], ids=["json", "binary"])
async def test_a_page_calls_the_catalog_through_connect_like_grpc(
    sites: tuple[Site, Site],
    oidc: OidcProvider,
    kafka_bootstrap: str,
    postgres_dsn: str,
    binary: bool,
) -> None:
    allowed, other = sites
    settings = test_settings(
        CatalogSettings,
        kafka=kafka_bootstrap,
        postgres_dsn=postgres_dsn,
        connect_enabled=True,
        connect_port=0,
        connect_cors_allowed_origins=[allowed.origin],
        # Production auth, trusting the provider as the operator guide describes.
        dev_mode=False,
        jwt_hs256_secret=None,
        jwt_jwks_url=oidc.jwks_uri,
        jwt_issuer=oidc.issuer,
        jwt_audience="agora-api",
        jwt_tenant_claim="organization.id",
        jwt_roles_claim="realm_access.roles",
        jwt_role_mapping={"agora-contributor": "contributor", "agora-admin": "admin"},
    )
    # A machine client (admin of acme) seeds; alice (contributor of acme) signs in.
    admin = bearer_metadata(await oidc.client_credentials("agora-worker"))
    alice_token = await oidc.authorization_code("alice")
    alice = bearer_metadata(alice_token)
    async with running_service(build, settings) as runtime:
        connect = getattr(runtime.api, "connect", None)
        assert connect is not None
        async with grpc.aio.insecure_channel(f"127.0.0.1:{runtime.grpc_port}") as channel:
            stub = catalog_pb2_grpc.CatalogServiceStub(channel)
            for theme_id, name in (("leadership", "Leadership"), ("listening", "Écoute")):
                await stub.UpsertTheme(
                    catalog_pb2.UpsertThemeRequest(theme_id=theme_id, name=name),
                    metadata=admin,
                )
            native = await stub.ListThemes(catalog_pb2.ListThemesRequest(), metadata=alice)
            native_error = await rpc_error(
                stub.ListPaths(catalog_pb2.ListPathsRequest(page_size=-1), metadata=alice)
            )

            seen = await in_browser(allowed, connect.url, alice_token, binary=binary)
            refused = await in_browser(other, connect.url, alice_token, binary=binary)

    assert "failure" not in seen, seen
    assert seen["origin"] == allowed.origin
    assert seen["themes"]["ok"] == [
        {"themeId": theme.theme_id, "name": theme.name} for theme in native.themes
    ]
    assert len(seen["themes"]["ok"]) == 2
    invalid = seen["invalid"]["error"]
    assert invalid["code"] == "InvalidArgument"
    assert invalid["message"] == native_error.details()
    # The same details as over gRPC: the field violations, then the stable reason.
    detail, info_detail = invalid["details"]
    assert (detail["type"], info_detail["type"]) == (
        "google.rpc.BadRequest",
        "google.rpc.ErrorInfo",
    )
    bad_request = error_details_pb2.BadRequest.FromString(base64.b64decode(detail["value"]))
    assert {v.field: v.description for v in bad_request.field_violations} == field_violations(
        native_error
    )
    info = error_details_pb2.ErrorInfo.FromString(base64.b64decode(info_detail["value"]))
    assert info == error_info(native_error)
    assert (info.reason, info.domain) == ("INVALID_FIELD", "agora.catalog")
    assert seen["unauthenticated"]["error"]["code"] == "Unauthenticated"
    # The browser itself enforces CORS: a page from an unlisted origin gets no answer.
    assert refused["themes"]["error"]["code"] == "Unknown", refused
    assert "fetch" in refused["themes"]["error"]["message"].lower(), refused
