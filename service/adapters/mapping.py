"""A source's mapping file: TOML tables of "their value → cshub's value", checked on load, errors naming the line.

Each adapter declares the tables its file may hold (``Table``: what its keys and values may be) and ships a
default file that works for a stock installation of the product; a user's file (a setting) is laid over it key
by key, so it names only what differs::

    [ticket.status]          # a Zendesk status → a cshub ticket status
    hold = "on_hold"

    [ticket.custom_fields]   # a custom field id → the cshub field it fills
    360001234567 = "category"

A problem is a ``ConfigurationError`` raised when the app is built, naming the file, the line and the key —
``zendesk.toml:7: [ticket.status] hold: "onhold" is not one of new, open, …`` — not a payload later.
"""

import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from service.errors import ConfigurationError

# What is wrong with a key or a value, or None when it is fine.
Check = Callable[[Any], str | None]


def one_of(*choices: str) -> Check:
    def check(value: Any) -> str | None:
        return None if value in choices else f"{_shown(value)} is not one of {', '.join(choices)}"

    return check


def whole_number(low: int, high: int) -> Check:
    def check(value: Any) -> str | None:
        if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
            return None
        return f"{_shown(value)} is not a whole number from {low} to {high}"

    return check


def text(value: Any) -> str | None:
    return None if isinstance(value, str) and value.strip() else f"{_shown(value)} is not a non-blank string"


def digits(value: Any) -> str | None:
    return None if isinstance(value, str) and value.isdigit() else f"{_shown(value)} is not a numeric id"


@dataclass(frozen=True, slots=True)
class Table:
    """One table a mapping file may hold: ``name`` is its dotted path (``ticket.status``). With ``nested``, each
    key names a sub-table (``[ticket.custom_field_values.360001234567]``) whose keys are free text. A table of
    settings rather than a map checks each key's value by its own check (``settings``: key → check)."""

    name: str
    keys: Check
    values: Check
    nested: bool = False
    settings: tuple[tuple[str, Check], ...] | None = None  # (key, its check): a table of settings

    def value_check(self, key: str) -> Check:
        return dict(self.settings).get(key, self.values) if self.settings is not None else self.values


def settings_table(name: str, settings: Mapping[str, Check]) -> Table:
    """A table of named settings (``[deal.amount]``: ``per``, ``term_months``…), each value checked by its own."""
    return Table(name, one_of(*settings), text, settings=tuple(settings.items()))


MappingFile = Mapping[str, Mapping[str, Any]]  # table name → its entries (nested: key → entries)


def load_mapping_file(default: Path, override: Path | None, tables: Sequence[Table], setting: str) -> MappingFile:
    """``default`` (shipped with the adapter) with ``override``'s entries laid over it, table by table and key by
    key; both checked against ``tables``. ``setting`` names where the override came from, for its errors."""
    merged = {table.name: dict(entries) for table, entries in _read(default, tables, "the default mapping").items()}
    if override is not None:
        for table, entries in _read(override, tables, setting).items():
            if table.nested:
                for key, sub in entries.items():
                    merged[table.name][key] = {**merged[table.name].get(key, {}), **sub}
            else:
                merged[table.name].update(entries)
    return MappingProxyType({name: MappingProxyType(entries) for name, entries in merged.items()})


def _read(path: Path, tables: Sequence[Table], where: str) -> dict[Table, dict[str, Any]]:
    try:
        content = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"{where} {path}: cannot be read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise ConfigurationError(f"{where} {path}: is not UTF-8 text") from None
    try:
        document = tomllib.loads(content)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{where} {path}: not valid TOML: {exc}") from None
    lines = _key_lines(content)

    def fail(at: tuple[str, ...], problem: str) -> ConfigurationError:
        # The key's own line, else the first line within it (a table named only by its sub-tables' headers),
        # else the line of the table around it.
        within = [line for path, line in lines.items() if path[: len(at)] == at]
        around = (lines[at[:n]] for n in range(len(at) - 1, 0, -1) if at[:n] in lines)
        line = min(within) if within else next(around, None)
        return ConfigurationError(f"{where} {path}{'' if line is None else f':{line}'}: {problem}")

    known = {tuple(table.name.split(".")): table for table in tables}
    found: dict[Table, dict[str, Any]] = {}
    for at, value in _leaves(document, known):
        table = known.get(at)
        if table is None:
            names = ", ".join(f"[{table.name}]" for table in tables)
            raise fail(at, f"unknown table or key {'.'.join(at)}; the tables are {names}")
        if not isinstance(value, dict):
            raise fail(at, f"{table.name} must be a table of entries ([{table.name}])")
        found[table] = _checked(table, value, at, fail)
    return found


def _leaves(document: dict[str, Any], known: Mapping[tuple[str, ...], Table]) -> list[tuple[tuple[str, ...], Any]]:
    """The document's tables at the paths ``known`` declares, and whatever lies anywhere else (an unknown name)."""
    out: list[tuple[tuple[str, ...], Any]] = []

    def walk(at: tuple[str, ...], value: Any) -> None:
        if at in known:
            out.append((at, value))
        elif isinstance(value, dict) and any(path[: len(at)] == at for path in known):
            for key, inner in value.items():
                walk((*at, key), inner)
        else:
            out.append((at, value))

    for key, value in document.items():
        walk((key,), value)
    return out


def _checked(
    table: Table, entries: dict[str, Any], at: tuple[str, ...], fail: Callable[[tuple[str, ...], str], Exception]
) -> dict[str, Any]:
    checked: dict[str, Any] = {}
    for key, value in entries.items():
        where = (*at, key)
        if (problem := table.keys(key)) is not None:
            raise fail(where, f"[{table.name}] key {key!r}: {problem}")
        if table.nested:
            if not isinstance(value, dict):
                raise fail(where, f"[{table.name}] {key}: must be a table ([{table.name}.{key}])")
            for inner, target in value.items():
                if (problem := table.values(target)) is not None:
                    raise fail((*where, inner), f"[{table.name}.{key}] {inner}: {problem}")
            checked[key] = dict(value)
        else:
            if (problem := table.value_check(key)(value)) is not None:
                raise fail(where, f"[{table.name}] {key}: {problem}")
            checked[key] = value
    return checked


def _key_lines(content: str) -> dict[tuple[str, ...], int]:
    """The line (1-based) of each table header and ``key = value`` line, by its full dotted path. tomllib keeps
    no positions, so each line is parsed on its own; a value spanning lines is simply not located."""
    lines: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    for number, line in enumerate(content.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            parsed = tomllib.loads(stripped)
        except tomllib.TOMLDecodeError:
            continue
        path = _first_path(parsed)
        if stripped.startswith("[") and not stripped.startswith("[["):
            table = path
            lines.setdefault(table, number)
        elif path:
            lines.setdefault((*table, *path), number)
    return lines


def _first_path(parsed: Any) -> tuple[str, ...]:
    path: list[str] = []
    while isinstance(parsed, dict) and len(parsed) == 1:
        key, parsed = next(iter(parsed.items()))
        path.append(key)
    return tuple(path)


def _shown(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)
