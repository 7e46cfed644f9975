"""The GraphQL toolkit the domains' types and resolvers import: the typed context with the request's connections,
clock and batching, Relay ids and cursors, the caller and its checks, privacy masking, the mutation error type,
scalars, the role-check extension, the write scope and lazy references to ``Account``, and the schema extensions
that need no schema. It imports no domain but identity (``api_keys``): what it needs from above — the audit of a
write, the role matrix — the assembly (``service.api``) fills in or attaches when it builds the schema.
"""
