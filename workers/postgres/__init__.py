"""Everything that talks to the rollout store's Postgres database.

`connection` opens connections (one path, one error translation); `migrations` applies
`migrations/*.sql`; `rollout_store` reads and changes rollouts; `rollout_cache` keeps their
configuration in memory (LISTEN/NOTIFY); `recorder` writes routing decisions and outcomes in
batches; `retention` prunes old rows; `outcomes` names what a verification ended as.
"""
