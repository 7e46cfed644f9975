"""Loading a source's tables in the order cshub resolves them: accounts before what names them.

dlt loads the tables of one run in no set order (it lists a package's files as the file system does). Most records
that arrive before their account wait in cshub's unmatched queue and land when it comes, but not all: a Salesforce
Case with no AccountId is placed by its ContactId's account, so its contact must be known; an opportunity's line
items replace the lines of the contract cshub already has for it. ``run_in_order`` runs the pipeline once per
stage of the kind's ``STAGES`` — each stage the source's resources of those tables — so every stage is loaded before
the next starts. Resources the stages do not name run in a last stage (the destination skips what cshub does not
read).
"""

from collections.abc import Sequence

import dlt
from dlt.common.pipeline import LoadInfo
from dlt.extract import DltSource

STAGES: dict[str, tuple[tuple[str, ...], ...]] = {
    "salesforce": (("account",), ("contact",), ("opportunity", "case"), ("opportunity_line_item",)),
    "hubspot": (("companies",), ("contacts", "deals")),
    "zendesk": (("organizations",), ("users",), ("tickets",), ("ticket_metric_events",)),
    "cshub": (("accounts",), ("contacts",)),
}


def stages(kind: str, resources: Sequence[str]) -> list[list[str]]:
    """``resources`` (names) in the stages of ``kind``, each stage non-empty, the unnamed ones last."""
    named = [[name for name in stage if name in resources] for stage in STAGES.get(kind, ())]
    placed = {name for stage in named for name in stage}
    rest = [name for name in resources if name not in placed]
    return [stage for stage in [*named, rest] if stage]


def run_in_order(pipeline: dlt.Pipeline, source: DltSource, kind: str) -> list[LoadInfo]:
    """Run ``pipeline`` over the selected resources of ``source`` stage by stage (``STAGES[kind]``); the load
    infos of the runs. A stage whose load fails raises (``PipelineStepFailed``) before the next is extracted."""
    selected = list(source.selected_resources)
    return [pipeline.run(source.with_resources(*stage)) for stage in stages(kind, selected)]
