"""The media types of GraphQL over HTTP, and which one a response uses given the request's ``Accept``.

https://graphql.github.io/graphql-over-http/draft/#sec-Body — the server answers in the highest-priority
acceptable type it supports: ``application/graphql-response+json`` (status codes carry meaning: 400 for a
document that does not parse or validate) or ``application/json`` (the legacy type: 200 for every
well-formed request). Ties go to the type the client named explicitly, then to graphql-response+json;
a bare wildcard (``*/*``, what curl and most HTTP libraries send) gets ``application/json``, the type
every client of the last decade understands. No ``Accept`` at all means graphql-response+json (the
spec's default since 2025). ``None``: the client accepts neither (406).
"""

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"
SUPPORTED = (GRAPHQL_RESPONSE_JSON, JSON)


def content_type(media_type: str) -> str:
    return f"{media_type}; charset=utf-8"


def _ranges(accept: str) -> list[tuple[str, float]]:
    ranges = []
    for part in accept.split(","):
        media_range, *params = (piece.strip() for piece in part.split(";"))
        if "/" not in media_range:
            continue
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    quality = 0.0
        ranges.append((media_range.lower(), quality))
    return ranges


def _preference(media_type: str, ranges: list[tuple[str, float]]) -> tuple[float, int]:
    """(quality, specificity) of the most specific range matching ``media_type``; quality 0 if none does."""
    kind = media_type.split("/")[0]
    best = (0.0, -1)
    for media_range, quality in ranges:
        specificity = {media_type: 2, f"{kind}/*": 1, "*/*": 0}.get(media_range)
        if specificity is not None and specificity > best[1]:
            best = (quality, specificity)
    return best


def response_media_type(accept: str | None) -> str | None:
    if accept is None or not accept.strip():
        return GRAPHQL_RESPONSE_JSON
    ranges = _ranges(accept)
    ranked = []
    for order, media_type in enumerate(SUPPORTED):
        quality, specificity = _preference(media_type, ranges)
        if quality > 0:
            explicit = specificity == 2
            # Named explicitly: graphql-response+json first; matched by a wildcard only: application/json first.
            tie_break = -order if explicit else order
            ranked.append((quality, explicit, tie_break, media_type))
    return max(ranked)[3] if ranked else None
