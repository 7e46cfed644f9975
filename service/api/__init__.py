"""The assembly: the GraphQL schema made of every domain's types and resolvers, its extensions that need the
whole schema (operation limits and the cost estimate, introspection exposure, the audit of mutations), the
``/graphql`` view and the SDL export. It imports the domains; the domains import the toolkit in
``service.graphql``, never this package."""
