"""GraphiQL as a person sees it, in a real headless Chromium with no internet: the page loads from cshub
alone, asks for the key, introspects the schema and runs a query. Needs the machine's Chromium (Debian:
``apt-get install chromium``; CHROMIUM_PATH to point elsewhere): without one the test is skipped, unless
CSHUB_REQUIRE_BROWSER=1 (CI sets it), which makes a missing browser a failure."""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Route, sync_playwright

from tests.serve_process import cshub_env, run_cshub, serving

QUERY_TIMEOUT_MS = 30_000


def _chromium() -> str:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if os.environ.get("CSHUB_REQUIRE_BROWSER") == "1":
            pytest.fail("no Chromium on this machine (apt-get install chromium), and CSHUB_REQUIRE_BROWSER=1")
        pytest.skip("no Chromium on this machine: apt-get install chromium (or set CHROMIUM_PATH)")
    return path


@pytest.fixture
def offline_page() -> Iterator[tuple[Page, list[str]]]:
    """A Chromium page that reaches loopback only; every request for another host is refused and noted."""
    executable = _chromium()
    elsewhere: list[str] = []

    def loopback_only(route: Route) -> None:
        if urlsplit(route.request.url).hostname in {"127.0.0.1", "localhost"}:
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort("internetdisconnected")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.route("**/*", loopback_only)
            yield page, elsewhere
        finally:
            browser.close()


def test_graphiql_runs_a_query_offline(database_url: str, tmp_path: Path, offline_page: tuple[Page, list[str]]) -> None:
    page, elsewhere = offline_page
    env = cshub_env(CSHUB_DATABASE_URL=database_url, CSHUB_DATA_DIR=str(tmp_path / "data"))
    created = run_cshub("keys", "create", "--role", "csm", env=env)
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip().splitlines()[-1]
    with serving(env=env, workdir=tmp_path) as server:
        page.goto(f"{server.base_url}/graphql")
        page.fill("#key", key)
        page.click("#key-form button[type=submit]")
        page.wait_for_selector(".graphiql-container", timeout=QUERY_TIMEOUT_MS)
        assert key not in page.url
        # The schema arrived by introspection (with the key): the documentation explorer knows Query.
        page.click("button[aria-label='Show Documentation Explorer']")
        page.wait_for_selector("text=accounts", timeout=QUERY_TIMEOUT_MS)
        page.click(".graphiql-execute-button")
        page.wait_for_function(
            "() => document.querySelector('.result-window')?.innerText.includes('totalCount')",
            timeout=QUERY_TIMEOUT_MS,
        )
        result = page.inner_text(".result-window")
        assert '"accounts"' in result
        assert "errors" not in result, result
        assert page.evaluate("localStorage.getItem('cshub.apiKey')") is None, "not remembered unless asked"
    assert elsewhere == [], f"the page asked for other hosts: {elsewhere}"
