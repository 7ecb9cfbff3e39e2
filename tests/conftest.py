"""Shared pytest fixtures.

``chromium``: one headless Debian Chromium (Playwright) for the whole session, used by the map
and briefing browser tests (marker ``browser``). Missing Chromium fails under CI=true and skips
loudly elsewhere; see ``tests/browser.py``.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def chromium():
    from browser import launch

    pw, browser = launch()
    try:
        yield browser
    finally:
        browser.close()
        pw.stop()
