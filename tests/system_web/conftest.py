"""One platform and one browser for the package's browser tests (seeding takes 20 to 60 s).
The modules run in name order and build on each other's outcomes: the learner's
journey first (Emma starts with no points), then the experts' and managers' work.
The provider's access tokens live ACCESS_TOKEN_TTL seconds: every test outlives several,
so the app keeps its sessions alive with refresh tokens throughout (test_sessions.py
checks it directly)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, async_playwright

from agora_core.testing.chromium import chromium

from .platform import WebPlatform, running_web_platform

ACCESS_TOKEN_TTL = 20


@pytest.fixture(scope="package")
async def web(
    kafka_bootstrap: str,
    postgres_admin_dsn: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[WebPlatform]:
    started = time.monotonic()
    async with running_web_platform(
        kafka=kafka_bootstrap,
        postgres_admin_dsn=postgres_admin_dsn,
        scratch=tmp_path_factory.mktemp("web"),
        access_token_ttl=ACCESS_TOKEN_TTL,
    ) as platform:
        print(f"web platform seeded in {time.monotonic() - started:.1f}s")
        yield platform


@pytest.fixture(scope="package")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(chromium()),
            headless=True,
            args=["--no-sandbox"],  # root in a container: the sandbox cannot start
        )
        yield launched
        await launched.close()
