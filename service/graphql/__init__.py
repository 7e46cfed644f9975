"""The GraphQL toolkit the domains' types and resolvers import: the typed context with the request's connections,
clock and batching, Relay ids and cursors, the caller and its checks, privacy masking, the mutation error type,
scalars, and the schema extensions that need no schema. It imports no domain but identity and the audit trail;
the schema that assembles every domain is ``service.api``.
"""
