"""``python -m agora_platform.web_server``: the web app of the local platform, one process
started by ``make up``: the built app with its ``config.json`` on ``AGORA_WEB_PORT`` and
its local OpenID Connect provider (a child process) on ``AGORA_WEB_OIDC_PORT``.

Who may sign in is read at each sign-in from ``AGORA_WEB_PEOPLE_FILE``, which ``make
demo`` writes (the demo tenant's people; any password). Other settings:
``AGORA_WEB_DIST`` (the built app), ``AGORA_WEB_ENDPOINTS`` (JSON: service → Connect URL).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

from agora_platform.web import WebConfig, serve_web
from agora_platform.web_identity import provider_settings, start_provider

REPO_ROOT = Path(__file__).resolve().parents[4]


def redirect_uris(port: int) -> list[str]:
    """Where the provider may send people back: this app, and Vite's dev server."""
    return [f"http://{host}:{p}/" for p in (port, 5173) for host in ("127.0.0.1", "localhost")]


async def serve(environ: dict[str, str]) -> None:
    port = int(environ["AGORA_WEB_PORT"])
    settings = provider_settings(
        redirect_uris(port),
        port=int(environ["AGORA_WEB_OIDC_PORT"]),
        peopleFile=environ["AGORA_WEB_PEOPLE_FILE"],
    )
    state = Path(environ["AGORA_WEB_PEOPLE_FILE"]).parent
    process, provider = await asyncio.to_thread(
        start_provider, REPO_ROOT, settings, state / "web-oidc.json", sys.stderr.buffer
    )
    endpoints = json.loads(environ["AGORA_WEB_ENDPOINTS"])
    served = await serve_web(
        Path(environ["AGORA_WEB_DIST"]), WebConfig(provider.issuer, endpoints), port
    )
    print(f"web app on {served.origin}, OpenID Connect provider {provider.issuer}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await served.close()
        process.terminate()
        await asyncio.to_thread(process.wait)


def main() -> None:
    asyncio.run(serve(dict(os.environ)))


if __name__ == "__main__":
    main()
