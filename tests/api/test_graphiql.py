"""GraphiQL works without the internet: a real Chromium, allowed to reach nothing but the API,
opens the page, runs the README's Quick start query with the token set in the page's headers,
and shows the answer.
The browser is Debian's Chromium, driven by Playwright; ``make test`` installs it where it can."""

from __future__ import annotations

import json
import shutil
import threading
from urllib.parse import urlencode, urlsplit

import pytest

from infra.relay import run_relays
from projections.projector import Projector
from services.common.context import acting
from tests.conftest import BEIYUAN, graphql
from tests.test_readme import blocks

CHROMIUM = next(filter(None, map(shutil.which, ("chromium", "chromium-browser"))), None)


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine, and it could not be installed "
                    "(make test installs Debian's chromium where apt-get can)")
def test_graphiql_runs_the_quick_starts_query_with_no_route_to_the_internet(system, tmp_path):
    from playwright.sync_api import sync_playwright

    with acting("admin"):
        system.services.residents.register_compound(**BEIYUAN)
    run_relays(system.settings, threading.Event(), until_caught_up=True)
    Projector(system.settings).run(threading.Event(), until_caught_up=True)
    url = system.start_api()
    quick_start = next(b for b in blocks() if b.language == "graphql")  # with the token it says to use
    token = system.token(quick_start.principal)
    api = urlsplit(url).netloc
    query = quick_start.body
    page_url = f"{url}?" + urlencode({"q": query, "headers": json.dumps({"Authorization": f"Bearer {token}"})})
    elsewhere: list[str] = []

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page()

            def only_the_api(route):  # the page may reach the API, and nothing else
                if urlsplit(route.request.url).netloc == api:
                    route.continue_()
                else:
                    elsewhere.append(route.request.url)
                    route.abort()

            page.route("**/*", only_the_api)
            page.goto(page_url)
            page.wait_for_selector(".graphiql-execute-button", timeout=30_000)
            page.click(".graphiql-execute-button")
            answer = page.locator(".result-window")
            answer.get_by_text('"北苑小区"').wait_for(timeout=30_000)
            page.screenshot(path=str(tmp_path / "graphiql.png"))
            shown = answer.inner_text()
        finally:
            browser.close()

    assert '"name": "北苑小区"' in shown.replace("\u00a0", " ") and '"errors"' not in shown
    assert elsewhere == []


def test_graphiql_page_and_assets_come_from_siwei(system):
    url = system.start_api()
    import httpx

    html = httpx.get(url, headers={"accept": "text/html"}).text
    assert "unpkg.com" not in html and "cdn" not in html.lower()
    for asset in ("graphiql.min.js", "graphiql.min.css", "react.production.min.js", "react-dom.production.min.js"):
        assert f"/graphql/static/{asset}" in html
        response = httpx.get(f"{url}/static/{asset}")
        assert response.status_code == 200 and len(response.content) > 1000
    assert httpx.get(f"{url}/static/../../etc/passwd").status_code == 404
    assert graphql(url, None, "{ viewer { kind } }").status_code == 401
