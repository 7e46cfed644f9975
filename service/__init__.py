"""cshub: the customer-success data hub.

One async GraphQL service that unifies what CRM, support and product-usage systems know about each
customer. See ``README.md`` for use and ``../shared/DESIGN.md`` for the architecture.
"""

__version__ = "0.1.0"
