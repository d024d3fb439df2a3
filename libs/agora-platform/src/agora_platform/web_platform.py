"""The web app's part of ``make up``/``down``/``status``: build it when a source changed,
run ``python -m agora_platform.web_server`` (the static app and its local OpenID Connect
provider) as one more process of the platform, stop it, report it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import time
from pathlib import Path

import aiohttp

from agora_platform.config import PlatformConfig
from agora_platform.display import Step
from agora_platform.processes import (
    STATE_DIR_MARKER,
    alive,
    log_tail,
    running_pid,
    spawn,
    terminate,
)
from agora_platform.web import WebBuildFailed, build_web

MODULE = "agora_platform.web_server"
STOP_GRACE_SECONDS = 10.0


class WebStepFailed(Exception):
    def __init__(self, message: str, details: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.details = details


def _pid_file(config: PlatformConfig) -> Path:
    return config.state_dir / "web.pid"


def log_file(config: PlatformConfig) -> Path:
    return config.logs_dir / "web.log"


async def build(config: PlatformConfig, step: Step) -> Path:
    """``npm ci`` and ``vite build`` when needed (WebStepFailed with npm's output)."""
    step.update("npm ci, tsc, vite build (when a source changed)")
    started = time.monotonic()
    try:
        dist = await asyncio.to_thread(build_web, config.root)
    except WebBuildFailed as error:
        step.fail("build failed")
        raise WebStepFailed(
            "the web app did not build (Node.js 20.19+ and npm needed)", str(error)
        ) from None
    step.done(f"apps/web/dist ready ({time.monotonic() - started:.1f}s)")
    return dist


def web_env(config: PlatformConfig, dist: Path, environ: dict[str, str]) -> dict[str, str]:
    endpoints = {s.name: s.connect_url for s in config.services}
    return {
        **environ,
        "AGORA_WEB_PORT": str(config.web_port),
        "AGORA_WEB_OIDC_PORT": str(config.web_oidc_port),
        "AGORA_WEB_DIST": str(dist),
        "AGORA_WEB_ENDPOINTS": json.dumps(endpoints),
        "AGORA_WEB_PEOPLE_FILE": str(config.web_people_file),
        STATE_DIR_MARKER: str(config.state_dir),
    }


async def start(config: PlatformConfig, dist: Path, step: Step) -> int:
    """Start the web process unless it runs; return once the app and provider answer."""
    pid = running_pid(_pid_file(config), MODULE, config.state_dir)
    if pid is None:
        env = web_env(config, dist, dict(os.environ))
        pid = spawn(Path(sys.executable), MODULE, env, log_file(config), _pid_file(config))
    deadline = time.monotonic() + config.start_timeout
    urls = (
        f"{config.web_url}/config.json",
        f"{config.web_issuer}/.well-known/openid-configuration",
    )
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3)) as http:
        for url in urls:
            while True:
                if not alive(pid):
                    step.fail(f"exited; see {log_file(config)}")
                    raise WebStepFailed("the web app's process exited", log_tail(log_file(config)))
                if time.monotonic() > deadline:
                    step.fail("no answer")
                    raise WebStepFailed(f"{url} did not answer", log_tail(log_file(config)))
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    async with http.get(url) as response:
                        if response.status == 200:
                            break
                await asyncio.sleep(0.25)
    step.done(f"{config.web_url} (pid {pid})")
    return pid


async def stop(config: PlatformConfig, step: Step) -> tuple[str, bool]:
    pid = running_pid(_pid_file(config), MODULE, config.state_dir)
    if pid is None:
        step.done("not running")
        return "not running", True
    result = await terminate(pid, STOP_GRACE_SECONDS)
    _pid_file(config).unlink(missing_ok=True)
    outcome = f"pid {pid} {'killed' if result.killed else 'exited after SIGTERM'}"
    (step.fail if result.killed else step.done)(outcome)
    return outcome, not result.killed


def status(config: PlatformConfig) -> tuple[bool, str]:
    pid = running_pid(_pid_file(config), MODULE, config.state_dir)
    return (pid is not None, f"pid {pid}" if pid is not None else "not running")
