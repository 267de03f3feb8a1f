"""The subset of Camunda's REST API v2 over the engine: routes, filters, queries, paging."""
