"""What the tests share: one job factory, one "eventually", one fault proxy, the flow helpers.

- `jobs.make_job`: a pyzeebe `Job` as a worker receives it, for any task of the model.
- `eventually.eventually`: poll a condition until it holds or a deadline passes.
- `fault_proxy.FaultProxy`: a TCP proxy to take Postgres (or a gateway) away and back.
- `ports.bound_port`: the port a server process bound itself (given port 0), read back.
- `flow`: the real process end to end (model deployed, workers running, stand-in answering).
- `verify`: an applicant's personal data, fake gateway and outcome sink for the verify tasks.
"""
