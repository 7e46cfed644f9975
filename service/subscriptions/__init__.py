"""GraphQL subscriptions: events of the outbox (``service.events``), live over graphql-transport-ws.

Owns no table. ``hub`` listens on the ``cshub_events`` channel (one connection per process), reads each
announced event once from the outbox and fans it out to the subscribers of this process through bounded
queues; ``connection`` is the WebSocket side (authentication in ``connection_init``, limits, the close codes);
``resolvers`` are the ``Subscription`` root fields, which first replay the outbox after a client's ``after``
sequence and then go live, without gaps or duplicates at the seam.
"""
