"""Sessions outlive their access tokens: the provider's tokens live ACCESS_TOKEN_TTL
seconds (conftest), the app refreshes them with rotating refresh tokens while the learner
keeps working, and a replayed (stolen) refresh token ends the sign-in with a clear
message. Runs after the other modules: it only signs in again."""

from __future__ import annotations

import json
import time
from typing import Any

import aiohttp
import pytest
from playwright.async_api import Browser, Page, expect

from agora_demo.cast import EMMA

from .browser_checks import DESKTOP, browsing, sign_in
from .conftest import ACCESS_TOKEN_TTL
from .platform import WebPlatform

pytestmark = pytest.mark.system

SESSION_KEY = "agora.session"
ENDED = "Your session has ended. Sign in again to continue."


async def stored_tokens(page: Page) -> dict[str, Any] | None:
    raw = await page.evaluate("key => sessionStorage.getItem(key)", SESSION_KEY)
    return None if raw is None else dict(json.loads(raw)["tokens"])


async def replay(web: WebPlatform, refresh_token: str) -> dict[str, Any]:
    """What a thief holding an old refresh token gets from the provider's token endpoint."""
    async with aiohttp.ClientSession() as http:
        discovery = f"{web.provider.issuer}/.well-known/openid-configuration"
        async with http.get(discovery) as answer:
            token_endpoint = (await answer.json())["token_endpoint"]
        form = {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": "agora-web",
        }
        async with http.post(token_endpoint, data=form) as answer:
            return {"status": answer.status, **(await answer.json())}


async def test_a_session_outlives_its_access_tokens_and_a_replayed_refresh_token_ends_it(
    web: WebPlatform, browser: Browser
) -> None:
    async with browsing(browser, DESKTOP, "en-GB") as page:
        await sign_in(page, web, EMMA, button="Sign in")
        signed_in_at = time.monotonic()
        first = await stored_tokens(page)
        assert first is not None
        assert first["refreshToken"], "the provider issued no refresh token"

        # Past the first access token's lifetime, without signing in again.
        await page.wait_for_timeout((ACCESS_TOKEN_TTL + 3) * 1000)
        assert time.monotonic() - signed_in_at > ACCESS_TOKEN_TTL
        await page.get_by_role("link", name="Inbox").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Inbox")
        await page.get_by_role("link", name="Home").click()
        assigned = page.get_by_test_id("assignments").get_by_role("listitem")
        await expect(assigned.first).to_be_visible()
        await expect(page.get_by_role("alert")).to_have_count(0)
        refreshed = await stored_tokens(page)
        assert refreshed is not None
        assert refreshed["accessToken"] != first["accessToken"]
        assert refreshed["refreshToken"] != first["refreshToken"], "refresh tokens rotate"

        # The first refresh token was consumed: replayed, the provider refuses it and
        # revokes the whole sign-in, so the app's own refresh fails at its next turn.
        stolen = await replay(web, first["refreshToken"])
        assert stolen["status"] == 400, stolen
        assert stolen["error"] == "invalid_grant", stolen
        await expect(page.get_by_role("alert")).to_have_text(
            ENDED, timeout=(ACCESS_TOKEN_TTL + 10) * 1000
        )
        await expect(page.get_by_role("button", name="Sign in")).to_be_visible()
        assert await stored_tokens(page) is None, "the ended session is forgotten"
        still_revoked = await replay(web, refreshed["refreshToken"])
        assert still_revoked["error"] == "invalid_grant", still_revoked
