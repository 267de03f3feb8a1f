"""What runs per job: the worker service and what it needs while it runs.

`service` holds the whole lifecycle (pool, cache, recorder, channel, worker, health server);
`zeebe_connection` builds the gRPC channel to the gateway (plaintext, TLS, OAuth);
`health_server` serves /healthz, /readyz and /metrics; `metrics` defines what /metrics shows.
"""
