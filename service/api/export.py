"""The GraphQL schema as SDL: what ``cshub export-schema`` prints and ``schema/schema.graphql`` holds."""

from strawberry.printer import print_schema

from service.api.schema import schema


def schema_sdl() -> str:
    return print_schema(schema) + "\n"
