"""Every compiled object type's declaration, collected from the modules that declare them."""

from service.compiled import accounts
from service.compiled.planner import ObjectSql

OBJECTS: dict[str, ObjectSql] = {**accounts.OBJECTS}
