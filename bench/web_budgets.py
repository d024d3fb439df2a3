"""The web app's budgets (issue 21), measured against the local platform on this machine.

* **Initial JavaScript ≤ 200 kB gzipped**: what ``index.html`` loads first (the entry
  chunk and its preloads), gzip level 9 (a size: ``tests/system_web/test_budgets.py``
  asserts it too).
* **Home page LCP ≤ 1.0 s**: the largest contentful paint the browser itself reports
  (``PerformanceObserver``, unthrottled, Debian's Chromium through Playwright) when a
  signed-in learner loads the home page, which then shows her assignments and points
  from three services. Baseline of the same run: the sign-in screen's LCP (the same
  files and server, no API call); the report gives the ratio.
* **Lighthouse performance and accessibility ≥ 90**: Lighthouse (npm, pinned in
  ``apps/web/package-lock.json``) with the same Chromium, on the first visit (sign-in
  screen) and on the signed-in home page (``bench/web_lighthouse.mjs``), with its
  default mobile settings (simulated slow 4G, 4x CPU slowdown) and its desktop ones.

The platform is the browser tests' own (``tests/system_web/platform.py``: the four
services in process on the test infrastructure, the local OpenID Connect provider, the
demo's seed and the built app served with its ``config.json``). Run with
``make bench-web``; the report lands in ``bench/reports/web_budgets.json`` (+ PNG;
``--quick``/``--smoke``: ``web_budgets-quick.*``/``-smoke.*``).
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Final

from playwright.async_api import Browser, Page, async_playwright

from agora_contracts.events.schemas import load_platform_events
from agora_core.testing.chromium import chromium
from agora_core.testing.event_tap import ensure_topics
from agora_core.testing.postgres import ensure_test_role
from agora_demo.cast import EMMA
from agora_platform.testenv import suite_environment
from agora_platform.web import WebConfig, build_web, serve_web
from bench import SMOKE_HELP, report_stem, reports_dir
from bench.web_budgets_report import write_png
from tests.system_web.platform import running_web_platform
from tests.system_web.test_budgets import initial_scripts

ROOT: Final = Path(__file__).resolve().parents[1]
LIGHTHOUSE_FLOW: Final = ROOT / "bench" / "web_lighthouse.mjs"
BUDGETS: Final = {
    "initial_js_gzip_kb": 200.0,
    "home_lcp_ms": 1000.0,
    "lighthouse_performance": 90,
    "lighthouse_accessibility": 90,
}
SERVICE_NAMES: Final = ("catalog", "community", "gamification", "notifications")
# What shows that each page is usable: the learner's assignments; the sign-in button.
HOME_READY: Final = "[data-testid=assignments]"
SIGN_IN_READY: Final = "button"
# Reads the LCP entries the page buffered; resolves once the browser reported one.
LCP_SCRIPT: Final = """() => new Promise((resolve) => {
  new PerformanceObserver((list) => {
    const entries = list.getEntries();
    const last = entries[entries.length - 1];
    resolve({ms: last.startTime, element: last.element ? last.element.tagName : null,
             size: last.size});
  }).observe({type: "largest-contentful-paint", buffered: true});
})"""


def initial_javascript(dist: Path) -> dict[str, Any]:
    scripts = initial_scripts(dist)
    sizes = {p.name: len(gzip.compress(p.read_bytes(), compresslevel=9)) for p in scripts}
    raw = sum(p.stat().st_size for p in scripts)
    return {"files": sizes, "gzip_kb": sum(sizes.values()) / 1024, "raw_kb": raw / 1024}


async def signed_in_page(browser: Browser, origin: str) -> Page:
    """A page of a fresh context where Emma signed in through the provider's form."""
    context = await browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    page = await context.new_page()
    await page.goto(f"{origin}/")
    await page.get_by_role("button", name="Sign in").click()
    await page.locator("input[name=login]").fill(EMMA.person_id)
    await page.locator("input[name=password]").fill("any")
    await page.locator("button[type=submit]").click()
    await page.get_by_test_id("assignments").wait_for(timeout=60_000)
    return page


async def lcp_after_load(page: Page, url: str, ready: str) -> dict[str, Any]:
    """Load ``url`` afresh and read its LCP once ``ready`` (a CSS selector) is shown."""
    await page.goto(url, wait_until="commit")
    await page.locator(ready).first.wait_for(timeout=60_000)
    await page.wait_for_load_state("load")
    lcp: dict[str, Any] = await page.evaluate(LCP_SCRIPT)
    return lcp


async def measure_lcp(browser: Browser, origin: str, loads: int) -> dict[str, Any]:
    page = await signed_in_page(browser, origin)
    home = [await lcp_after_load(page, f"{origin}/", HOME_READY) for _ in range(loads)]
    signed_out = await browser.new_context(viewport={"width": 1280, "height": 800})
    blank = await signed_out.new_page()
    sign_in = [await lcp_after_load(blank, f"{origin}/", SIGN_IN_READY) for _ in range(loads)]
    await signed_out.close()
    await page.context.close()
    home_ms = statistics.median(x["ms"] for x in home)
    sign_in_ms = statistics.median(x["ms"] for x in sign_in)
    return {
        "home_ms": home_ms,
        "home_runs_ms": [x["ms"] for x in home],
        "home_element": home[-1]["element"],
        "baseline_sign_in_ms": sign_in_ms,
        "baseline_runs_ms": [x["ms"] for x in sign_in],
        "ratio_to_baseline": home_ms / sign_in_ms,
    }


FORM_FACTORS: Final = ("mobile", "desktop")


def lighthouse(origin: str, form_factor: str, *, first_visit_only: bool = False) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch:
        output = Path(scratch) / "lighthouse.json"
        command = [str(LIGHTHOUSE_FLOW), origin, EMMA.person_id, str(chromium()), form_factor]
        node = shutil.which("node")
        if node is None:
            raise RuntimeError("Node.js is needed to run Lighthouse")
        done = subprocess.run(  # noqa: S603  (our own script, pinned lighthouse)
            [node, *command, str(output), *(["first-visit"] if first_visit_only else [])],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"lighthouse failed:\n{done.stderr[-3000:]}")
        result: dict[str, Any] = json.loads(output.read_text())
        return result


async def smoke(dist: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Every phase at its smallest, without a platform: the built app with a
    configuration naming no live service, one load of the sign-in screen, Lighthouse on
    that first visit only (mobile)."""
    nowhere = "http://127.0.0.1:9"
    config = WebConfig(nowhere, dict.fromkeys(SERVICE_NAMES, nowhere))
    served = await serve_web(dist, config)
    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=str(chromium()), headless=True, args=["--no-sandbox"]
            )
            page = await browser.new_page()
            first = await lcp_after_load(page, f"{served.origin}/", SIGN_IN_READY)
            await browser.close()
        scores = await asyncio.to_thread(lighthouse, served.origin, "mobile", first_visit_only=True)
    finally:
        await served.close()
    lcp = {
        "home_ms": None,
        "baseline_sign_in_ms": first["ms"],
        "baseline_runs_ms": [first["ms"]],
        "ratio_to_baseline": None,
    }
    return lcp, {"mobile": scores}


async def on_the_platform(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, Any]]:
    """The budgets proper: the browser tests' platform with the demo's data."""
    suite = suite_environment(ROOT, os.environ)
    kafka = os.environ.get("AGORA_TEST_KAFKA") or suite.kafka_bootstrap
    admin_dsn = os.environ.get("AGORA_TEST_POSTGRES_DSN") or suite.postgres_dsn
    await ensure_test_role(admin_dsn)
    await ensure_topics(kafka, load_platform_events().topics())
    with tempfile.TemporaryDirectory() as scratch:
        started = time.monotonic()
        async with running_web_platform(
            kafka=kafka, postgres_admin_dsn=admin_dsn, scratch=Path(scratch)
        ) as web:
            print(f"platform seeded in {time.monotonic() - started:.0f} s")
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(
                    executable_path=str(chromium()), headless=True, args=["--no-sandbox"]
                )
                lcp = await measure_lcp(browser, web.origin, args.loads)
                await browser.close()
            scores = {
                form: await asyncio.to_thread(lighthouse, web.origin, form) for form in FORM_FACTORS
            }
    return lcp, scores


def within_budget(
    size: dict[str, Any], lcp: dict[str, Any], scores: dict[str, Any]
) -> dict[str, Any]:
    home = lcp["home_ms"]
    return {
        "initial_js": size["gzip_kb"] <= BUDGETS["initial_js_gzip_kb"],
        "home_lcp": None if home is None else home <= BUDGETS["home_lcp_ms"],
        **{
            f"lighthouse_{form}": all(
                step["performance"] >= BUDGETS["lighthouse_performance"]
                and step["accessibility"] >= BUDGETS["lighthouse_accessibility"]
                for step in steps.values()
            )
            for form, steps in scores.items()
        },
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    dist = build_web(ROOT)
    size = initial_javascript(dist)
    lcp, scores = await (smoke(dist) if args.smoke else on_the_platform(args))
    return {
        "benchmark": "web_budgets",
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "smoke": args.smoke,
        "load_average_1m": os.getloadavg()[0],
        "cpus": os.cpu_count(),
        "budgets": BUDGETS,
        "initial_javascript": size,
        "lcp": {**lcp, "loads": args.loads, "browser": "Debian chromium, unthrottled"},
        "lighthouse": scores,
        "within_budget": within_budget(size, lcp, scores),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=5, help="home page loads measured")
    parser.add_argument("--quick", action="store_true", help="two loads of each page")
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    args = parser.parse_args()
    if args.quick or args.smoke:
        args.loads = 1 if args.smoke else 2
    report = asyncio.run(run(args))
    path = reports_dir() / f"{report_stem('web_budgets', smoke=args.smoke, quick=args.quick)}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")
    write_png(report, path.with_suffix(".png"))
    js, lcp = report["initial_javascript"], report["lcp"]
    print(f"initial JavaScript {js['gzip_kb']:.1f} kB gzipped (budget 200)")
    if lcp["home_ms"] is not None:
        print(
            f"home LCP {lcp['home_ms']:.0f} ms (budget 1000; sign-in screen "
            f"{lcp['baseline_sign_in_ms']:.0f} ms, x{lcp['ratio_to_baseline']:.2f})"
        )
    for form, steps in report["lighthouse"].items():
        for step, scores in steps.items():
            print(
                f"lighthouse {form} {step}: performance {scores['performance']}, "
                f"accessibility {scores['accessibility']}, LCP {scores['lcpMs']:.0f} ms"
            )
    print(f"within budget: {report['within_budget']}")
    print(f"load average {report['load_average_1m']:.1f}; report {path}")


if __name__ == "__main__":
    main()
