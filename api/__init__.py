"""The GraphQL API: queries read projections, mutations call the bodies' services."""
