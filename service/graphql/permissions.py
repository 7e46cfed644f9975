"""The caller of a resolver. Who may call which field is decided before the resolver runs, in one place
(``service.authorization``, attached by ``service.api.authorization``); resolvers only ask who it is."""

import strawberry

from service.api_keys.service import Principal
from service.errors import AuthenticationRequired
from service.graphql.context import Context


def caller(info: strawberry.Info[Context]) -> Principal:
    principal = info.context.principal
    if principal is None:
        raise AuthenticationRequired("this field needs an API key")
    return principal
