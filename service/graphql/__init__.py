"""The GraphQL shell: schema assembly, typed context, Relay helpers, error policy and the HTTP view.

It translates between GraphQL and the domains; it decides nothing itself.
"""
