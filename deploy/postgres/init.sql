-- First start of the compose stack's Postgres: one server, two databases.
--   canary  : the rollout store (rates, overrides, history, recorded outcomes)
--   camunda : Camunda 8.9's secondary storage (what Operate and the REST API read)
-- Passwords come from the compose file's environment (defaults are for a laptop only).
\set canary_password `echo "${CANARY_DB_PASSWORD:-canary-local}"`
\set worker_password `echo "${CANARY_WORKER_DB_PASSWORD:-worker-local}"`
\set controller_password `echo "${CANARY_CONTROLLER_DB_PASSWORD:-controller-local}"`
\set camunda_password `echo "${CAMUNDA_DB_PASSWORD:-camunda-local}"`

-- Owner of the rollout store: runs the migrations and changes rates (the `cli` service).
CREATE ROLE canary LOGIN PASSWORD :'canary_password';
CREATE DATABASE canary OWNER canary;

-- The least-privilege roles the migrations grant to; created here because the owner above
-- may not create roles. `worker` is the login the worker containers use: it reads rollouts
-- and records outcomes, and can never change a rate.
CREATE ROLE canary_worker NOLOGIN;
CREATE ROLE canary_operator NOLOGIN;
CREATE ROLE worker LOGIN PASSWORD :'worker_password' IN ROLE canary_worker;
-- The guarded rollout's controller: its `set rate` job changes rates and its `analyse` job
-- reads the outcome counters, so it is an operator; only the rollout-controller service uses it.
CREATE ROLE controller LOGIN PASSWORD :'controller_password' IN ROLE canary_operator;

CREATE ROLE camunda LOGIN PASSWORD :'camunda_password';
CREATE DATABASE camunda OWNER camunda;
