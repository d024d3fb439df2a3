"""The local platform's web server (``agora_platform.web``) serves the app as the
container's nginx does: bundles compressed and cached for good, the page revalidated,
``config.json`` never cached, any other path refused (over real loopback HTTP)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import aiohttp

from agora_platform.web import WebConfig, serve_web

BUNDLE = b"export const greeting = 'bonjour';\n" * 200
ENDPOINTS = {"catalog": "http://127.0.0.1:1/c", "community": "http://127.0.0.1:1/m"}


def built_app(dist: Path) -> Path:
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text('<div id="app"></div><script src="./assets/app-1a2b.js">')
    (dist / "assets" / "app-1a2b.js").write_bytes(BUNDLE)
    (dist / "assets" / "logo-3c4d.png").write_bytes(b"\x89PNG not really")
    return dist


async def test_bundles_are_compressed_and_cached_for_good(tmp_path: Path) -> None:
    served = await serve_web(built_app(tmp_path), WebConfig("http://127.0.0.1:9/i", ENDPOINTS))
    try:
        async with aiohttp.ClientSession(auto_decompress=False) as session:
            gz = {"Accept-Encoding": "gzip"}
            async with session.get(f"{served.origin}/assets/app-1a2b.js", headers=gz) as answer:
                assert answer.status == 200
                assert answer.headers["Content-Encoding"] == "gzip"
                assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable"
                assert answer.content_type == "application/javascript"
                assert gzip.decompress(await answer.read()) == BUNDLE
            async with session.get(f"{served.origin}/assets/logo-3c4d.png") as answer:
                assert answer.status == 200
                assert "Content-Encoding" not in answer.headers
            for missing in ("/assets/none.js", "/assets/..%2Findex.html", "/assets/.hidden"):
                async with session.get(served.origin + missing) as answer:
                    assert answer.status == 404, missing
    finally:
        await served.close()


async def test_the_page_is_revalidated_and_the_configuration_never_cached(tmp_path: Path) -> None:
    served = await serve_web(built_app(tmp_path), WebConfig("http://127.0.0.1:9/i", ENDPOINTS))
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{served.origin}/") as answer:
                assert answer.headers["Cache-Control"] == "no-cache"
                assert '<div id="app">' in await answer.text()
            async with session.get(f"{served.origin}/config.json") as answer:
                assert answer.headers["Cache-Control"] == "no-store"
                assert json.loads(await answer.text())["endpoints"] == ENDPOINTS
    finally:
        await served.close()
