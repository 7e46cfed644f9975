"""The GraphQL schema as SDL: what ``cshub export-schema`` prints and ``schema/schema.graphql`` holds."""

from functools import cache

from strawberry.printer import print_schema

from service.api.schema import schema


@cache  # the schema is built once per process, so is its SDL (printing it takes ~40 ms; every create_app serves it)
def schema_sdl() -> str:
    return print_schema(schema) + "\n"
