"""Contacts: the people at a customer, with their role in buying and using the product.

Contact names, emails and phones are PII: never logged, masked for the ``bi`` role.
"""
