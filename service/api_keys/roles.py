"""The roles an API key can carry (what each may call: ``service.authorization``, docs/architecture.md#roles)."""

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"  # everything
    CSM = "csm"  # read all, write customer-success objects
    SALES = "sales"  # handoffs, read account context
    BI = "bi"  # read aggregates and records, people and free text masked (service.privacy)
    INGEST = "ingest"  # write through the ingest API only
