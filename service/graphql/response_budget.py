"""What a response may hold, enforced while it is built: at most CSHUB_GRAPHQL_MAX_RESPONSE_ROWS list items.

The cost estimate (``service.api.limits``) refuses operations priced too high before they run, but
stored rows and metric groups are priced by estimate; this counts what really comes back. Each list is
counted as its resolver returns it, before its items are completed: the list that would take the response
past the cap stops the operation — no field resolves after it — and the response is one
``RESPONSE_TOO_LARGE`` error with ``maxRows`` and no data (HTTP 400 with
``application/graphql-response+json``, like the other limits). A mutation's write is done by then: only
its response is refused.

Completing a list (coercing every value of every item) is CPU work graphql-core does in one go; long lists
are completed in slices that share the event loop (``service.graphql.loop_share``).
"""

from collections.abc import Sequence
from typing import Any

from graphql import ExecutionResult, GraphQLError, GraphQLList, GraphQLOutputType, GraphQLResolveInfo
from graphql.pyutils import Path
from graphql.pyutils.gather_with_cancel import gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from service.graphql.loop_share import LoopShare
from service.settings import Settings

RESPONSE_TOO_LARGE = "RESPONSE_TOO_LARGE"
# Only long lists pause, and only between their items: a pause lets DataLoaders dispatch the keys queued so
# far, so pausing a task at the start of every list would split the batches a page's fields share.
SLICED_LIST = 64
CHECK_EVERY = 8  # list items completed between two looks at the clock
_DEFAULT_SETTINGS = Settings.model_construct()


class ResponseTooLarge(Exception):
    """The response would hold more list items than the cap."""


def too_large_error(message: str, **details: int) -> GraphQLError:
    return GraphQLError(message, extensions={"code": RESPONSE_TOO_LARGE, **details})


class BudgetedExecutor(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor, counting list items against the cap and completing long lists in slices.

    Sub-executors are shallow copies, so they share the count and the clock."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        settings = getattr(self.context_value, "settings", None) or _DEFAULT_SETTINGS
        self.max_rows: int = settings.graphql_max_response_rows
        self.rows = 0
        self.exceeded = False
        self.loop_share = LoopShare()

    def execute_field(self, *args: Any, **kwargs: Any) -> Any:
        if self.exceeded:  # the response is refused: resolve nothing more
            return None
        return super().execute_field(*args, **kwargs)

    def complete_list_value(
        self,
        return_type: GraphQLList[GraphQLOutputType],
        field_details_list: Any,
        info: GraphQLResolveInfo[Any],
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        if self.exceeded:
            raise ResponseTooLarge
        if not isinstance(result, Sequence):  # resolvers return lists; anything else is counted as it comes
            result = list(result)
        self.rows += len(result)
        if self.rows > self.max_rows:
            self.exceeded = True
            raise ResponseTooLarge
        if len(result) > SLICED_LIST:
            return self._complete_in_slices(
                return_type.of_type, field_details_list, info, path, result, position_context
            )
        return super().complete_list_value(return_type, field_details_list, info, path, result, position_context)

    async def _complete_in_slices(
        self,
        item_type: GraphQLOutputType,
        field_details_list: Any,
        info: GraphQLResolveInfo[Any],
        path: Path,
        items: Sequence[Any],
        position_context: Any,
    ) -> list[Any]:
        """``complete_iterable_value`` (no @stream: the schema does not enable it), pausing between slices."""
        completed: list[Any] = []
        awaiting: list[int] = []
        for index, item in enumerate(items):
            if index and index % CHECK_EVERY == 0 and self.loop_share.spent():
                await self.loop_share.breathe()
                if self.exceeded:
                    raise ResponseTooLarge
            item_path = path.add_key(index, None)
            if self.is_awaitable(item):
                completed.append(
                    self.complete_awaitable_list_item_value(
                        item, item_type, field_details_list, info, item_path, position_context
                    )
                )
                awaiting.append(index)
            elif self.complete_list_item_value(
                item, completed, item_type, field_details_list, info, item_path, position_context
            ):
                awaiting.append(index)
        if awaiting:
            for index, value in zip(
                awaiting, await gather_with_cancel(*(completed[index] for index in awaiting)), strict=True
            ):
                completed[index] = value
        return completed

    def build_response(self, data: dict[str, Any] | None) -> Any:
        if not self.exceeded:
            return super().build_response(data)
        self.run_async_work_finished_hook()
        error = too_large_error(
            f"The response would hold more than {self.max_rows} list items, the limit. Narrow the query: smaller "
            "pages (`first`), shorter periods, larger intervals, fewer groups or fewer nested lists.",
            maxRows=self.max_rows,
        )
        return ExecutionResult(None, [error])
