"""``GET /``: what this server is and where to go from here, instead of a 401; and the two contracts it
publishes, ``GET /schema.graphql`` (the GraphQL schema, exported from the code) and ``GET /openapi.yaml`` (the
REST endpoints). All three need no key: they hold no customer data, and both contracts ship in the repository.
"""

import html
from collections.abc import Awaitable, Callable
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from service.settings import Environment, Settings

Endpoint = Callable[[Request], Awaitable[Response]]


def openapi_file() -> Path:
    """The OpenAPI file: bundled into the installed package, or the repository's own in a checkout."""
    bundled = Path(__file__).resolve().parent.parent / "_openapi" / "cshub.yaml"
    return bundled if bundled.exists() else Path(__file__).resolve().parent.parent.parent / "openapi" / "cshub.yaml"


def text_endpoint(text: str, media_type: str) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        return Response(text, media_type=media_type)

    return endpoint


def landing_endpoint(settings: Settings) -> Endpoint:
    development = settings.environment == Environment.DEVELOPMENT
    graphiql = (
        '<li><a href="/graphql">GraphiQL</a>: write and run queries in the browser (it asks for an API key).</li>'
        if development
        else "<li>GraphiQL is off in production; send queries to <code>POST /graphql</code>.</li>"
    )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>cshub</title><link rel="icon" href="data:,">
<style>body {{ font-family: system-ui, sans-serif; max-width: 44rem; margin: 8vh auto; padding: 0 1rem;
line-height: 1.5; }} code {{ background: #f2f2f2; padding: 0 0.2rem; }}</style></head>
<body>
<h1>cshub</h1>
<p>A customer-success data hub: one GraphQL customer-360 over what CRM, support and product-usage systems know
about each customer: accounts, contacts, contracts, usage, tickets, surveys, health scores and sales-to-CSM
handoffs.</p>
<ul>
{graphiql}
<li><code>POST /graphql</code>: the API, with <code>Authorization: Bearer &lt;key&gt;</code>
(create a key with <code>cshub keys create --role csm</code>).</li>
<li><a href="/schema.graphql">schema.graphql</a>: the GraphQL schema.</li>
<li><a href="/openapi.yaml">openapi.yaml</a>: the REST endpoints (ingest, health checks).</li>
<li><a href="/events/catalogue">/events/catalogue</a>: the events cshub emits (webhooks), a JSON Schema each.</li>
<li><a href="/healthz">/healthz</a> and <a href="/readyz">/readyz</a>: liveness and readiness.</li>
</ul>
<p>Environment: {html.escape(settings.environment.value)}.</p>
</body></html>
"""

    async def landing(request: Request) -> Response:
        return HTMLResponse(page)

    return landing
