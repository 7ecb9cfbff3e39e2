"""The browser harness itself: without Chromium, CI fails and local runs skip loudly."""

from __future__ import annotations

import pytest

import browser


def test_missing_chromium_fails_in_ci(monkeypatch):
    monkeypatch.setattr(browser, "chromium_path", lambda: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="BROWSER TESTS NOT RUN.*CI=true"):
        browser.launch()


def test_missing_chromium_skips_loudly_locally(monkeypatch):
    monkeypatch.setattr(browser, "chromium_path", lambda: None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.warns(UserWarning, match="BROWSER TESTS NOT RUN"), \
            pytest.raises(pytest.skip.Exception, match="install Debian's chromium"):
        browser.launch()


def test_flags_match_the_documented_headless_set():
    assert browser.CHROMIUM_FLAGS[:3] == ["--headless", "--no-sandbox", "--disable-gpu"]
    assert "--disable-background-networking" in browser.CHROMIUM_FLAGS
