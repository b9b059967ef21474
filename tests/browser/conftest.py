"""Browser tests: Playwright for Python driving Debian's chromium (never a downloaded browser) against the
e2e stack (Rasa, action server, records consumer, web app on reserved loopback ports): the session's `stack`
fixture, from tests/conftest.py, which the e2e tests share."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import ARTIFACTS

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
# Playwright waits 30 s for an action and 5 s for an expect() by default: on two cores shared with a Rasa
# training, a page that posts a form and renders the next one can take longer. Every wait here is for a
# condition, so a generous limit costs nothing when things work.
ACTION_TIMEOUT_MS = 60_000
EXPECT_TIMEOUT_MS = 30_000


# Per module, not per session: Playwright's sync API keeps its own asyncio loop in this thread while it
# runs, and tests collected after these (rasa-sdk actions) need to run their own loop.
@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(
            "Debian's chromium is not installed (/usr/bin/chromium): `make chromium` installs it with "
            "apt-get; browser tests never download a browser."
        )
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True, timeout=ACTION_TIMEOUT_MS
        )
        yield chromium
        chromium.close()


class Watched:
    """A page whose console errors, page errors and dialogs (an alert() would be one) are collected."""

    def __init__(self, context):
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        context.set_default_navigation_timeout(ACTION_TIMEOUT_MS)
        self.context = context
        self.page = context.new_page()
        self.problems: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.problems.append(f"console: {m.text}"))
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.on("dialog", lambda d: (self.problems.append(f"dialog: {d.message}"), d.dismiss()))

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"browser-{name}.png"), full_page=True)


@pytest.fixture(params=[pytest.param(PHONE, id="phone"), pytest.param(DESKTOP, id="desktop")])
def watched(request, browser):
    """A fresh browser context per test, once with a phone's screen and once with a desktop's."""
    context = browser.new_context(**request.param)
    watched = Watched(context)
    watched.size = request.node.callspec.id
    yield watched
    context.close()


@pytest.fixture
def phone(browser):
    context = browser.new_context(**PHONE)
    yield Watched(context)
    context.close()
