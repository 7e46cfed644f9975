"""Every compiled object type's declaration, collected from the modules that declare them.

Each module holds ``OBJECTS`` (its types) and may hold ``ACCOUNT_FIELDS`` (the fields it adds to ``Account``,
the root of the customer-360 view).
"""

from types import ModuleType

from service.compiled import (
    accounts,
    alerts,
    handoff_context,
    handoffs,
    health,
    success_plan,
    surveys,
    tickets,
    timeline,
    usage,
    viewer,
)
from service.compiled.planner import FieldSql, ObjectSql

MODULES: tuple[ModuleType, ...] = (
    accounts,
    tickets,
    timeline,
    health,
    alerts,
    surveys,
    usage,
    success_plan,
    handoffs,
    handoff_context,
    viewer,
)


def _collect() -> dict[str, ObjectSql]:
    objects: dict[str, ObjectSql] = {}
    account_fields: dict[str, FieldSql] = {}
    for module in MODULES:
        for name, declared in module.OBJECTS.items():
            if name in objects:
                raise LookupError(f"{name} is declared twice ({module.__name__})")
            objects[name] = declared
        account_fields.update(getattr(module, "ACCOUNT_FIELDS", {}))
    objects["Account"] = ObjectSql({**objects["Account"].fields, **account_fields})
    return objects


OBJECTS: dict[str, ObjectSql] = _collect()
