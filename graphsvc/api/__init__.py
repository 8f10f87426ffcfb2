"""The HTTP API: thin Flask blueprints over the store, the service state (API keys, job records)
and the background job runner. `graphsvc.server` assembles them into an app."""
