"""Who "my" means: the names the caller goes by in the hub's owner fields, and which owner field is theirs."""

from service.api_keys.roles import Role
from service.api_keys.service import Principal


def owner_names(principal: Principal | None) -> tuple[str, ...]:
    """A person's display name and e-mail (as their token gives them), or an API key's name."""
    if principal is None:
        return ()
    if principal.person is not None:
        person = principal.person
        return tuple(dict.fromkeys(name for name in (person.display_name, person.email) if name))
    return (principal.name,)


def owns_as_sales(principal: Principal | None) -> bool:
    """Sales own accounts and handoffs as their sales owner; everyone else as their CSM."""
    return principal is not None and principal.role is Role.SALES


def narrowed(given: tuple[str, ...] | None, names: tuple[str, ...]) -> tuple[str, ...]:
    """The caller's names, within those the filter already asks for (if it does)."""
    return names if given is None else tuple(name for name in given if name in names)
