"""The compiled read path: a query's root fields planned into one SQL statement each, the JSON built by PostgreSQL.

``executor.CompilingExecutor`` runs each root field it can compile as one statement and splices the JSON text
into the response; the others (and every mutation) run through the resolvers as before.
"""
