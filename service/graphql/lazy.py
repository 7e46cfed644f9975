"""Fields of a domain's types that return ``Account``, the type the customer 360 assembles above the domains.

The assembly (``service.customer360.types``) imports every domain's fields, so a domain cannot import it back
without a folder-level cycle. strawberry's lazy references name the type by its module instead: the schema
resolves ``LazyAccount`` when it is built, and ``account_from_row`` imports the module by name when the field
resolves (by then the schema, hence the module, is loaded).
"""

import importlib
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

ACCOUNT_MODULE = "service.customer360.types"

if TYPE_CHECKING:
    LazyAccount = Any  # the assembly's Account, which the type checker would need to import
else:
    LazyAccount = Annotated["Account", strawberry.lazy(ACCOUNT_MODULE)]  # noqa: F821 (a name strawberry resolves)


def account_from_row(row: object) -> Any:
    """``Account.from_row(row)`` for an ``AccountRow``."""
    return importlib.import_module(ACCOUNT_MODULE).Account.from_row(row)
