"""Headless Chromium for the browser tests (``agora_core.testing.chromium``)."""

from agora_core.testing.chromium import CHROMIUM, chromium

__all__ = ["CHROMIUM", "chromium"]
