"""What every visited page must pass (axe-core, WCAG 2.1 A/AA: no serious or critical
violation), the screenshots written at phone and desktop sizes for the README, and
the browsing helpers every test uses (a fresh context, sign-in, the header's menu)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from playwright.async_api import Browser, Page, ViewportSize, expect

from agora_demo.cast import Person

if TYPE_CHECKING:
    from .platform import WebPlatform

ROOT: Final = Path(__file__).resolve().parents[2]
AXE: Final = ROOT / "apps" / "web" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS: Final = ROOT / "docs" / "screenshots"
PHONE: Final = ViewportSize(width=360, height=780)
DESKTOP: Final = ViewportSize(width=1280, height=800)
WCAG_TAGS: Final = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING: Final = {"serious", "critical"}


async def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Serious and critical violations axe-core finds on the page as it is now."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = await page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"][:5]],
        }
        for v in result["violations"]
        if v["impact"] in BLOCKING
    ]


async def check_page(page: Page, name: str) -> None:
    """axe at both sizes, then a full-page screenshot at each (phone, desktop)."""
    size = page.viewport_size
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for label, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        await page.set_viewport_size(viewport)
        violations = await axe_violations(page)
        assert violations == [], f"{name} ({label}): {violations}"
        await page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"), full_page=True)
    if size is not None:
        await page.set_viewport_size(size)


@asynccontextmanager
async def browsing(browser: Browser, viewport: ViewportSize, locale: str) -> AsyncIterator[Page]:
    """A fresh browser context (its own cookies and session storage) and a page in it."""
    context = await browser.new_context(viewport=viewport, locale=locale, accept_downloads=True)
    try:
        yield await context.new_page()
    finally:
        await context.close()


async def sign_in(page: Page, web: WebPlatform, person: Person, *, button: str) -> None:
    await page.goto(f"{web.origin}/")
    await expect(page.get_by_role("button", name=button)).to_be_visible()
    await check_page(page, "sign-in")
    await page.get_by_role("button", name=button).click()
    # The provider's own login form (development interactions: any password).
    await page.locator("input[name=login]").fill(person.person_id)
    await page.locator("input[name=password]").fill("any")
    await page.locator("button[type=submit]").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text(person.name)


async def open_menu_page(page: Page, menu: str, link: str) -> None:
    """A page of the header's secondary menu ("More"): open the menu, follow the link."""
    await page.get_by_text(menu, exact=True).click()
    await page.get_by_role("link", name=link, exact=True).click()
    await expect(page.get_by_role("heading", level=1)).to_be_visible()
