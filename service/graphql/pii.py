"""Contact PII is masked for the ``bi`` role (DESIGN §9): one field extension, ``Pii``, on every field that
holds a customer person's name, e-mail address or phone number.

Masking is per field, so it holds on every path that reaches the field (an account's contacts, a contact by
id or by ``node``, a handoff's stakeholders, ``handoffContext``, survey responses, timeline actors). A masked
value reads ``•••`` (``MASK``); a null stays null (there is nothing to hide, and "unknown" stays visible).
Aggregates (metrics, counts, NPS) never read these fields and are unaffected. Masking happens after the
resolver, on the value only; the rows read are the same for every role.
"""

from collections.abc import Callable
from typing import Any

import strawberry
from strawberry.extensions.field_extension import AsyncExtensionResolver, FieldExtension, SyncExtensionResolver

from service.api_keys.roles import Role
from service.graphql.context import Context

MASK = "•••"
MASKED_ROLES = frozenset({Role.BI})


def _always(source: Any) -> bool:
    return True


class Pii(FieldExtension):
    """Masks the field's string value for ``MASKED_ROLES``; ``applies`` narrows it to some rows (e.g. only the
    timeline entries whose actor is a customer)."""

    def __init__(self, applies: Callable[[Any], bool] = _always) -> None:
        self.applies = applies

    def _masked(self, value: Any, source: Any, info: strawberry.Info[Context]) -> Any:
        principal = info.context.principal
        if value is None or principal is None or principal.role not in MASKED_ROLES or not self.applies(source):
            return value
        return MASK

    def resolve(  # type: ignore[override]
        self, next_: SyncExtensionResolver, source: Any, info: strawberry.Info[Context], /, **kwargs: Any
    ) -> Any:
        return self._masked(next_(source, info, **kwargs), source, info)

    # Positional-only: a field's own argument may be called `source` (unmatchedRecords(source:)) or `info`.
    async def resolve_async(  # type: ignore[override]
        self, next_: AsyncExtensionResolver, source: Any, info: strawberry.Info[Context], /, **kwargs: Any
    ) -> Any:
        return self._masked(await next_(source, info, **kwargs), source, info)
