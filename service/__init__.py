"""cshub: the customer-success data hub.

One async GraphQL service that unifies what CRM, support and product-usage systems know about each
customer. See ``README.md`` for use, ``docs/architecture.md`` for how it is built and ``docs/kpis.md`` for
the exact definition of every figure it computes.
"""

__version__ = "0.1.0"
