"""The README's GraphQL examples are valid against the schema, so the examples users copy keep working."""

import re
from pathlib import Path

import pytest
from graphql import parse, validate

from service.api.schema import schema

README = Path(__file__).resolve().parent.parent / "README.md"
EXAMPLES = re.findall(r"```graphql\n(.*?)```", README.read_text(), flags=re.S)


def test_the_readme_has_graphql_examples() -> None:
    assert len(EXAMPLES) >= 3


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda text: text.split("\n")[1].strip()[:40])
def test_readme_example_is_valid(example: str) -> None:
    errors = validate(schema._schema, parse(example))
    assert errors == [], [error.message for error in errors]
