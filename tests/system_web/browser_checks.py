"""What every visited page must pass (axe-core, WCAG 2.1 A/AA: no serious or critical
violation) and the screenshots written at phone and desktop sizes for the README."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from playwright.async_api import Page, ViewportSize

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
