"""What an ingest batch's commit sets going in the background (the ingest, source and Segment routes share it)."""

from collections.abc import Collection

from starlette.requests import Request


def committed(request: Request, entities: Collection[str]) -> None:
    """A batch committed changes to ``entities``: health scores catch up after their debounce, and the planner's
    statistics of the tables it grew are refreshed soon (``service.db.statistics``)."""
    refresher = getattr(request.state, "health_refresher", None)
    if refresher is not None:
        for entity in sorted(entities):
            refresher.inputs_changed(entity)
    keeper = getattr(request.state, "statistics_keeper", None)
    if keeper is not None and entities:
        keeper.written()
