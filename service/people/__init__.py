"""People: the persons who call cshub with an OIDC/JWT bearer token (machines use API keys).

A person is known by their identity provider's issuer and subject; cshub keeps their id, email, display name
and the role their last token carried, so that audit rows, handoffs and overrides can name them.
"""
