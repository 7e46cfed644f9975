"""Mapping files (service.adapters.mapping): the shipped Zendesk default, overrides laid over it key by key, and
errors that name the file's line."""

import re
from pathlib import Path

import pytest

from service.adapters.zendesk.mapping import DEFAULT_MAPPING, load_mapping
from service.errors import ConfigurationError
from service.settings import Settings
from tests.app_client import app_client


def test_the_default_maps_a_stock_zendesk() -> None:
    assert DEFAULT_MAPPING.statuses == {
        "new": "new",
        "open": "open",
        "pending": "pending",
        "hold": "on_hold",
        "solved": "solved",
        "closed": "closed",
        "deleted": "closed",
    }
    assert DEFAULT_MAPPING.types["problem"] == "bug"
    assert dict(DEFAULT_MAPPING.scores) == {"good": 5, "bad": 1}
    assert DEFAULT_MAPPING.custom_fields == {}


def test_an_override_changes_only_what_it_names(tmp_path: Path) -> None:
    path = tmp_path / "zendesk.toml"
    path.write_text(
        '# ours\n[ticket.status]\nHOLD = "pending"\n\n[ticket.custom_fields]\n360012345678 = "category"\n'
        '[ticket.custom_field_values.360012345678]\nBug_Report = "bug"\n'
    )
    mapping = load_mapping(path)
    assert mapping.statuses["hold"] == "pending"
    assert mapping.statuses["open"] == "open"  # kept from the default
    assert mapping.custom_fields == {"360012345678": "category"}
    assert mapping.custom_value("360012345678", "bug_report") == "bug"
    assert mapping.custom_value("360012345678", "other_value") == "other_value"


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        ('[ticket.status]\nopen = "open"\nhold = "onhold"\n', 3, r'\[ticket.status\] hold: "onhold" is not one of new'),
        (
            '[ticket.custom_fields]\n\n# a comment\nsubject_line = "subject"\n',
            4,
            r"key 'subject_line': .* not a numeric id",
        ),
        ('[ticket.custom_fields]\n360012345678 = "owner"\n', 2, r'"owner" is not one of subject, priority, category'),
        ("[satisfaction.scores]\ngood = 10\n", 2, r"10 is not a whole number from 1 to 5"),
        ('[ticket.status]\nopen = "open"\n\n[tickets.status]\nopen = "open"\n', 4, r"unknown table or key tickets"),
        ('[ticket]\nstatus = "open"\n', 2, r"ticket.status must be a table"),
        ('[organization.fields]\ntier = "name"\n', 2, r'"name" is not one of industry'),
        ("[ticket.custom_field_values.360012345678]\nbug = 3\n", 2, r"\[ticket.custom_field_values.360012345678\] bug"),
    ],
)
def test_errors_name_the_line(tmp_path: Path, content: str, line: int, message: str) -> None:
    path = tmp_path / "zendesk.toml"
    path.write_text(content)
    with pytest.raises(ConfigurationError) as raised:
        load_mapping(path)
    assert f"{path}:{line}:" in raised.value.message
    assert re.search(message, raised.value.message), raised.value.message


def test_a_file_that_is_not_toml_or_not_there(tmp_path: Path) -> None:
    path = tmp_path / "zendesk.toml"
    path.write_text('[ticket.status\nopen = "open"\n')
    with pytest.raises(ConfigurationError, match=r"not valid TOML: .*line 1"):
        load_mapping(path)
    with pytest.raises(ConfigurationError, match="cannot be read"):
        load_mapping(tmp_path / "missing.toml")


async def test_a_bad_mapping_stops_the_app_at_start(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "zendesk.toml"
    path.write_text('[ticket.priority]\nlow = "lowest"\n')
    with pytest.raises(ConfigurationError, match=r"zendesk.toml:2: \[ticket.priority\] low"):
        async with app_client(settings, zendesk_mapping_file=path):
            pass
