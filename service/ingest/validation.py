"""Raw JSON records → validated models, or readable per-field errors (never an exception)."""

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from service.ingest.results import FieldError

M = TypeVar("M", bound=BaseModel)


def field_path(location: tuple[int | str, ...]) -> str:
    """``("lines", 0, "mrr")`` → ``"lines[0].mrr"``."""
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _message(model: type[BaseModel], error: Any) -> str:
    if error["type"] == "extra_forbidden":
        return f"unknown field; {model.__name__} accepts: {', '.join(model.model_fields)}"
    if error["type"] == "missing":
        return "required"
    message: str = error["msg"]
    return message.removeprefix("Value error, ")


def validate_record(model: type[M], raw: object) -> M | tuple[FieldError, ...]:
    if not isinstance(raw, dict):
        return (FieldError("", f"each record must be a JSON object, not {type(raw).__name__}"),)
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        return tuple(FieldError(field_path(error["loc"]), _message(model, error)) for error in exc.errors())
