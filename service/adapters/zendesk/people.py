"""Zendesk organizations → cshub accounts, and end users → cshub contacts (the sideloads of a tickets payload).

An organization is an ``accounts`` record of the Zendesk source (external id: its id), so it is matched like any
account record — this source's link, then its domain (the first of ``domain_names``) — and creates the account
when nothing matches. ``organization_fields`` fill account fields through the mapping.

An end user (``role: end-user``; agents and admins are the vendor's staff, not the customer's people) is a
``contacts`` record (external id: its id; name, e-mail, phone; ``user_fields`` through the mapping) in its
organization's account — else in the account of a ticket of the payload it requested, else the one its e-mail
domain names. A user with none of these is skipped: cshub's contacts belong to an account.
"""

from collections.abc import Mapping
from typing import Any

from service.adapters.writing import ItemResult, Pending, skipped
from service.adapters.zendesk.mapping import ZendeskMapping
from service.adapters.zendesk.tickets import zendesk_id


def read_organization(item: str, org: Mapping[str, Any], mapping: ZendeskMapping) -> Pending:
    org_id = zendesk_id(org.get("id"))
    record: dict[str, Any] = {"external_id": org_id if org_id is not None else org.get("id"), "name": org.get("name")}
    paths = {"external_id": "id", "name": "name", "domain": "domain_names[0]"}
    domains = org.get("domain_names")
    if isinstance(domains, list):
        first = next((domain for domain in domains if isinstance(domain, str) and domain.strip()), None)
        if first is not None:
            record["domain"] = first
            paths["domain"] = f"domain_names[{domains.index(first)}]"
    _mapped_fields(org.get("organization_fields"), mapping.organization_fields, "organization_fields", record, paths)
    if "updated_at" in org:
        record["updated_at"] = org["updated_at"]
    return Pending(item, org_id, "accounts", record, paths)


def read_user(
    item: str, user: Mapping[str, Any], mapping: ZendeskMapping, ticket_orgs: Mapping[str, str]
) -> Pending | ItemResult:
    """``ticket_orgs``: user id → the organization of a ticket of the payload the user requested."""
    user_id = zendesk_id(user.get("id"))
    if user.get("role", "end-user") != "end-user":
        return skipped(item, user_id, "contacts", "an agent or admin, not a customer contact")
    record: dict[str, Any] = {"external_id": user_id if user_id is not None else user.get("id")}
    paths = {"external_id": "id"}
    org = zendesk_id(user.get("organization_id")) or ticket_orgs.get(user_id or "")
    email = user.get("email")
    if org is not None:
        record["account_external_id"] = org
        paths["account_external_id"] = "organization_id"
    elif isinstance(email, str) and "@" in email:
        record["account_domain"] = email.rsplit("@", 1)[1]
        paths["account_domain"] = "email"
    else:
        return skipped(item, user_id, "contacts", "no organization and no e-mail domain: no account to place it in")
    for field in ("name", "email", "phone"):
        if field in user:
            record[field] = user[field] if user[field] != "" else None
            paths[field] = field
    _mapped_fields(user.get("user_fields"), mapping.user_fields, "user_fields", record, paths)
    if "updated_at" in user:
        record["updated_at"] = user["updated_at"]
    return Pending(item, user_id, "contacts", record, paths)


def _mapped_fields(
    fields: Any, mapping: Mapping[str, str], where: str, record: dict[str, Any], paths: dict[str, str]
) -> None:
    if not isinstance(fields, Mapping):
        return
    for key, target in mapping.items():
        value = fields.get(key)
        if value is not None and value != "":
            record[target] = str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value
            paths[target] = f"{where}.{key}"
