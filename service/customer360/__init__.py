"""The customer 360: what assembles the account across domains, above every domain it reads.

``types.py`` assembles ``Account`` from each domain's fields (the domains type their fields on the toolkit's
``OfAccount`` root and name ``Account`` only through a lazy reference, ``service.graphql.lazy``);
``resolvers.py`` and ``listing.py`` are the account roots and the account list (filters, sort, keyset pages
over contracts and health); ``mutations.py`` and ``merge.py`` merge two accounts (every domain's rows move);
``handoff_context.py`` is the account as a CSM sees it when taking a handoff over. The account record itself
(its table, queries, enums, the domain rule) is ``service.accounts``.
"""
