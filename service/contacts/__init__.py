"""Contacts: the people at a customer, with their role in buying and using the product.

Contact names, emails, phones and titles are PII: never logged, masked for the ``bi`` role (``service.privacy``).
"""
