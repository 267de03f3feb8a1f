"""The offline demo (`canary demo`) and what exists only for it.

`run` wires the dev engine, the VerifyMeNow stand-in, Postgres and the real workers together;
`database` finds or starts a Postgres for it; `stub/` is the VerifyMeNow stand-in, also run on
its own by `canary stub-verifymenow` and in docker compose.
"""
