"""The web app (``apps/web``): built with its pinned npm packages, served as static files.

One build serves every deployment: the app reads ``config.json`` (the identity provider
and each service's Connect URL) beside its files, written here by whoever serves it.
``npm ci`` runs once per lock change; ``vite build`` runs when a source is newer than
the last build (so ``make up`` and the browser tests build only when needed).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from aiohttp import web

SOURCES: Final = ("src", "index.html", "vite.config.ts", "tsconfig.json", "package-lock.json")
CLIENT_ID: Final = "agora-web"
API_RESOURCE: Final = "https://agora.example/api"
API_AUDIENCE: Final = "agora-api"


class WebBuildFailed(Exception):
    """npm or the build failed; the message holds the tail of its output."""


def web_dir(root: Path) -> Path:
    return root / "apps" / "web"


def _npm_env() -> dict[str, str]:
    """npm's download cache under ~/.cache/npm (with the project's other caches)."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "npm"
    return {"npm_config_cache": str(cache), **os.environ}


def _run(command: list[str], cwd: Path, what: str) -> None:
    done = subprocess.run(  # noqa: S603 - fixed commands of our own
        command, cwd=cwd, capture_output=True, text=True, timeout=900, check=False, env=_npm_env()
    )
    if done.returncode != 0:
        raise WebBuildFailed(f"{what} failed:\n{(done.stdout + done.stderr)[-3000:]}")


def _newest(paths: list[Path]) -> float:
    stamps = [p.stat().st_mtime for base in paths for p in [base, *base.rglob("*")] if p.exists()]
    return max(stamps, default=0.0)


def ensure_node_modules(directory: Path) -> None:
    """``npm ci`` when ``node_modules`` is missing or older than the lock file."""
    installed = directory / "node_modules" / ".package-lock.json"
    lock = directory / "package-lock.json"
    if installed.exists() and installed.stat().st_mtime >= lock.stat().st_mtime:
        return
    npm = shutil.which("npm")
    if npm is None:
        raise WebBuildFailed("npm (Node.js 20.19+) is needed to build the web app")
    _run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"], directory, "npm ci")


def build_web(root: Path) -> Path:
    """The built app's directory (``apps/web/dist``), building it if a source changed."""
    app = web_dir(root)
    dist = app / "dist"
    with open(app / ".build.lock", "w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)  # one build at a time (parallel tests, make up)
        # The app compiles the generated clients from clients/typescript/src.
        tools = root / "tools" / "proto_products.py"
        _run([sys.executable, str(tools), "install"], root, "npm ci (clients/typescript)")
        ensure_node_modules(app)
        sources = [app / name for name in SOURCES] + [root / "clients" / "typescript" / "src"]
        built = dist / "index.html"
        if not built.exists() or built.stat().st_mtime < _newest(sources):
            npm = shutil.which("npm")
            assert npm is not None  # ensure_node_modules checked
            _run([npm, "run", "build"], app, "npm run build (tsc + vite)")
    return dist


@dataclass(frozen=True)
class WebConfig:
    """What ``config.json`` tells the app (see ``apps/web/src/config.ts``)."""

    issuer: str
    endpoints: Mapping[str, str]
    client_id: str = CLIENT_ID
    resource: str | None = API_RESOURCE
    scope: str = "openid profile offline_access"

    def as_json(self) -> dict[str, Any]:
        config: dict[str, Any] = {
            "issuer": self.issuer,
            "clientId": self.client_id,
            "scope": self.scope,
            "endpoints": dict(self.endpoints),
        }
        if self.resource is not None:
            config["resource"] = self.resource
        return config


# Served as the container's nginx serves them (apps/web/deploy/nginx.conf): hashed
# bundles compressed and cached for good, the page revalidated, the configuration never
# cached. Measured by bench/web_budgets.py (Lighthouse counts the bytes sent).
IMMUTABLE: Final = "public, max-age=31536000, immutable"
ASSET_TYPES: Final = {".js": "application/javascript", ".css": "text/css", ".svg": "image/svg+xml"}


def web_application(dist: Path, config: WebConfig) -> web.Application:
    """The app's files plus its ``config.json``; unknown paths get the app (hash routes)."""
    body = json.dumps(config.as_json())
    assets = dist / "assets"

    async def config_json(_request: web.Request) -> web.Response:
        return web.Response(
            text=body, content_type="application/json", headers={"Cache-Control": "no-store"}
        )

    async def index(_request: web.Request) -> web.FileResponse:
        return web.FileResponse(dist / "index.html", headers={"Cache-Control": "no-cache"})

    async def asset(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        path = assets / name
        if "/" in name or name.startswith(".") or not path.is_file():
            raise web.HTTPNotFound()
        kind = ASSET_TYPES.get(path.suffix)
        if kind is None:  # fonts, images: as they are
            return web.FileResponse(path, headers={"Cache-Control": IMMUTABLE})
        response = web.Response(
            body=path.read_bytes(), content_type=kind, headers={"Cache-Control": IMMUTABLE}
        )
        response.enable_compression()  # gzip or deflate, as the browser accepts
        return response

    app = web.Application()
    app.router.add_get("/config.json", config_json)
    app.router.add_get("/", index)
    app.router.add_get("/assets/{name}", asset)
    return app


@dataclass
class ServedWeb:
    """A running static server: its origin and how to stop it."""

    origin: str
    runner: web.AppRunner

    async def close(self) -> None:
        await self.runner.cleanup()


async def serve_web(dist: Path, config: WebConfig, port: int = 0) -> ServedWeb:
    """Serve the app on 127.0.0.1 (``port`` 0: a free one)."""
    runner = web.AppRunner(web_application(dist, config))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    return ServedWeb(f"http://127.0.0.1:{runner.addresses[0][1]}", runner)
