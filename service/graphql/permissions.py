"""Role checks for resolvers: one line at the top of a resolver that not every key may call."""

import strawberry

from service.api_keys.roles import Role
from service.api_keys.service import Principal
from service.errors import AuthenticationRequired, PermissionDenied
from service.graphql.context import Context


def require_role(info: strawberry.Info[Context], *roles: Role) -> Principal:
    principal = info.context.principal
    if principal is None:
        raise AuthenticationRequired("this field needs an API key")
    if principal.role not in roles:
        allowed = ", ".join(role.value for role in roles)
        raise PermissionDenied(f"role {principal.role.value!r} may not do this; it needs one of: {allowed}")
    return principal
