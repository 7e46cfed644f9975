"""A dlt destination that loads into cshub (the ``cshub[dlt]`` extra): dlt's verified Salesforce, HubSpot and
Zendesk sources — or any dlt pipeline whose tables are named like cshub's entities — land through the same HTTP
routes a puller or webhook uses, so every record goes through the one ingest service (idempotency, stale
protection, identity resolution, the unmatched queue) and there is no second write path.

    import dlt
    from service.dlt_destination import cshub, run_in_order

    pipeline = dlt.pipeline("crm", destination=cshub(kind="salesforce"))
    run_in_order(pipeline, salesforce_source().with_resources("account", "contact", "opportunity"), "salesforce")

``url`` and ``ingest_key`` come from the arguments or dlt's configuration (``[destination.cshub] url`` in
``config.toml``, ``ingest_key`` in ``secrets.toml``, or ``DESTINATION__CSHUB__URL`` /
``DESTINATION__CSHUB__INGEST_KEY``). ``kind`` says how table names map to routes (``service.dlt_destination.tables``);
``source`` names the cshub source of the generic kind's records.

dlt calls the destination once per table file of a load package, one file at a time (``sequential``: the hub
takes an ingest batch per slot, and a table's records go in the order dlt extracted them), in no set order of
tables: ``run_in_order`` loads a source's tables stage by stage, accounts first
(``service.dlt_destination.ordering``). A table that cshub does not read is skipped (logged). The load job fails —
and ``pipeline.run`` raises, naming every refused record — when the hub rejects a record (its good records were
written) or refuses a batch; it is retried when the hub stays unreachable or overloaded past the retries
(``service.dlt_destination.sending``).
"""

import logging

import dlt
from dlt.common.destination.exceptions import DestinationTerminalException, DestinationTransientException
from dlt.common.schema import TTableSchema
from dlt.common.storages.load_package import ParsedLoadJobFileName
from dlt.common.typing import TDataItems
from dlt.destinations.file_batching import JsonlFileBatchIterator

from service.dlt_destination.ordering import run_in_order
from service.dlt_destination.sending import Hub, Limits, Refused, Unavailable, send
from service.dlt_destination.tables import KINDS, route_for

__all__ = ["KINDS", "cshub", "run_in_order"]

log = logging.getLogger("cshub.dlt")
SHOWN_REJECTIONS = 20  # in the failure message; the log has them all


@dlt.destination(
    name="cshub",
    batch_size=0,  # the function reads each table file itself: it batches by the hub's limits, not dlt's
    loader_file_format="typed-jsonl",
    naming_convention="direct",  # table and column names as the source wrote them (Salesforce's API names)
    max_table_nesting=0,  # nested objects stay in their row (an opportunity's line items, a deal's associations)
    loader_parallelism_strategy="sequential",
)
def cshub(
    items: TDataItems | str,
    table: TTableSchema,
    url: str = dlt.config.value,
    ingest_key: str = dlt.secrets.value,
    kind: str = "cshub",
    source: str = "dlt",
    max_records: int = 1000,
    max_body_bytes: int = 5 * 1024 * 1024,
    retries: int = 5,
    backoff_seconds: float = 0.5,
) -> None:
    if kind not in KINDS:
        raise DestinationTerminalException(f"cshub destination: kind {kind!r} is not one of {', '.join(KINDS)}")
    name = str(table["name"])
    route = route_for(kind, name, source)
    if route is None:
        if kind == "cshub":
            raise DestinationTerminalException(
                f"cshub destination: table {name!r} is no cshub entity; name the resource one of accounts, "
                "contacts, contracts, tickets, usage_events, survey_responses, timeline_events "
                "(or pick the kind of a vendor's source: salesforce, hubspot, zendesk)"
            )
        log.info("cshub destination (%s): table %s is not read by cshub; skipped", kind, name)
        return
    assert isinstance(items, str)  # batch_size=0: the path of the table's file
    limits = Limits(max_records, max_body_bytes, retries, backoff_seconds)
    rows = (row for batch in JsonlFileBatchIterator(items, max_records, 0, list(table["columns"])) for row in batch)
    try:
        with Hub(url, ingest_key, limits) as hub:
            report = send(hub, route, name, rows, job=_job(items))
    except Refused as refused:
        raise DestinationTerminalException(str(refused)) from None
    except Unavailable as unavailable:
        raise DestinationTransientException(str(unavailable)) from None
    log.info("cshub destination: %s: %d rows in %d requests: %s", name, report.sent, report.requests, report.statuses)
    if report.rejected:
        for line in report.rejected:
            log.warning("cshub rejected %s", line)
        shown = "\n".join(report.rejected[:SHOWN_REJECTIONS])
        more = len(report.rejected) - SHOWN_REJECTIONS
        raise DestinationTerminalException(
            f"cshub rejected {len(report.rejected)} of {name}'s {report.sent} records (the others were written):\n"
            + shown
            + (f"\n… and {more} more (logged)" if more > 0 else "")
        )


def _job(file_path: str) -> str:
    """The load job, the same on each of dlt's retries of it: its package's load id and its file's id."""
    parsed = ParsedLoadJobFileName.parse(file_path)
    return f"{dlt.current.load_package_state()['load_id']}.{parsed.table_name}.{parsed.file_id}"
