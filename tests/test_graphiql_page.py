"""GraphiQL, the landing page and the published contracts, over HTTP: GraphiQL's page loads everything from
cshub itself (the exact npm files, checked against the page's own integrity hashes), asks for the key instead
of taking it from the URL, and is off in production; ``GET /`` says where to go; ``/schema.graphql`` and
``/openapi.yaml`` are the repository's contracts. The page as a person sees it: tests/test_graphiql_browser.py."""

import base64
import gzip
import hashlib
import re
from pathlib import Path

import httpx
import yaml

from service.http.ide import ASSETS
from service.settings import Environment, Settings
from tests.app_client import app_client

ROOT = Path(__file__).parent.parent
HTML = {"Accept": "text/html"}


def _references(page: str) -> dict[str, str]:
    """Every script and stylesheet the page loads: its address and its integrity hash."""
    tags = re.findall(r"<(?:script|link)\b[^>]*?(?:src|href)=\"([^\"]+)\"[^>]*?integrity=\"([^\"]+)\"", page, re.S)
    return dict(tags)


async def test_graphiql_loads_every_asset_from_cshub_itself(client: httpx.AsyncClient) -> None:
    page = (await client.get("/graphql", headers=HTML)).text
    references = _references(page)
    assert len(references) == 6, references  # react, react-dom, graphiql js + css, the explorer's js + css
    assert not re.search(r"(?:src|href)=\"(?:https?:)?//", page), "nothing from another host"
    for address, integrity in references.items():
        assert address.startswith("/graphiql/assets/"), address
        response = await client.get(address, headers={"Accept-Encoding": "gzip"})  # httpx decodes it
        assert response.status_code == 200, address
        assert response.headers["content-encoding"] == "gzip"
        assert response.headers["content-type"].startswith("text/javascript" if address.endswith(".js") else "text/css")
        digest = base64.b64encode(hashlib.sha384(response.content).digest()).decode()
        assert integrity == f"sha384-{digest}", f"{address} is not the file the page's integrity names"


async def test_a_client_without_gzip_gets_the_plain_file(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphiql/assets/react.production.min.js", headers={"Accept-Encoding": "identity"})
    assert response.status_code == 200
    assert "content-encoding" not in response.headers
    packed = (ROOT / "service/http/ide/assets/react.production.min.js.gz").read_bytes()
    assert response.content == gzip.decompress(packed)
    assert response.content.startswith(b"/**")


def test_the_openapi_file_lists_every_asset_and_only_those() -> None:
    spec = yaml.safe_load((ROOT / "openapi/cshub.yaml").read_text())
    (name,) = spec["paths"]["/graphiql/assets/{name}"]["get"]["parameters"]
    assert name["schema"]["enum"] == sorted(ASSETS)


async def test_an_unknown_asset_is_a_404_that_lists_the_others(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphiql/assets/graphiql.js")
    assert response.status_code == 404
    assert "graphiql.min.js" in response.json()["detail"]


async def test_the_page_asks_for_the_key_and_never_reads_it_from_the_url(client: httpx.AsyncClient) -> None:
    page = (await client.get("/graphql", headers=HTML)).text
    assert '<input id="key" type="password"' in page
    assert "location.search" not in page, "nothing is taken from the query string"
    assert "shouldPersistHeaders: false" in page  # GraphiQL keeps headers only for the tab…
    assert "localStorage.setItem(STORED_KEY, key)" in page  # …unless "remember" is ticked


async def test_graphiql_is_off_in_production(settings: Settings) -> None:
    async with app_client(settings, environment=Environment.PRODUCTION) as (http, _):
        page = await http.get("/graphql", headers=HTML)
        landing = await http.get("/")
    assert page.status_code == 401
    assert "GraphiQL is off in production" in landing.text


async def test_the_landing_page_says_what_this_is_and_where_to_go(client: httpx.AsyncClient) -> None:
    response = await client.get("/")  # no key
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    links = re.findall(r'href="(/[^"]*)"', response.text)
    assert links == ["/graphql", "/schema.graphql", "/openapi.yaml", "/events/catalogue", "/healthz", "/readyz"]
    for link in links[1:]:
        assert (await client.get(link)).status_code == 200, link


async def test_the_published_contracts_are_the_repository_files(client: httpx.AsyncClient) -> None:
    schema = await client.get("/schema.graphql")
    assert schema.text == (ROOT / "schema/schema.graphql").read_text()
    openapi = await client.get("/openapi.yaml")
    assert openapi.headers["content-type"].startswith("application/yaml")
    assert openapi.text == (ROOT / "openapi/cshub.yaml").read_text()
