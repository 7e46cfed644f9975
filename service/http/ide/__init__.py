"""GraphiQL as cshub serves it: its page and the JavaScript and CSS it loads, from cshub itself (no CDN).

The page (``graphiql.html``) asks for the API key and sends it as the ``Authorization`` header; the key never
goes into the address bar, and stays in the tab unless the user ticks "remember" (then ``localStorage``).
The assets are the npm packages' own files, kept gzip'd (``assets/NOTICE.md`` says which and how to update
them): sent as they are to a browser that accepts gzip (every one does), decompressed for any other client.
"""

import gzip
from pathlib import Path
from typing import Final

from starlette.requests import Request
from starlette.responses import Response

from service.errors import NotFound

HERE = Path(__file__).parent
PAGE: Final = (HERE / "graphiql.html").read_text()
ASSETS_PATH = "/graphiql/assets/{name}"
MEDIA_TYPES: Final = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
ASSETS: Final = {path.name.removesuffix(".gz"): path for path in (HERE / "assets").glob("*.gz")}
CACHE_FOR_SECONDS = 86_400  # the files change only with a cshub release


async def graphiql_asset(request: Request) -> Response:
    name = request.path_params["name"]
    path = ASSETS.get(name)
    if path is None:
        raise NotFound(f"no GraphiQL asset {name!r}; there are: {', '.join(sorted(ASSETS))}")
    media_type = MEDIA_TYPES[Path(name).suffix]
    headers = {"Cache-Control": f"public, max-age={CACHE_FOR_SECONDS}", "Vary": "Accept-Encoding"}
    compressed = path.read_bytes()
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(compressed, media_type=media_type, headers={**headers, "Content-Encoding": "gzip"})
    return Response(gzip.decompress(compressed), media_type=media_type, headers=headers)
