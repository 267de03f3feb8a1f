"""A stand-in for the VerifyMeNow provider: both API versions, fault injection, admin API.

`server.VerifyMeNowStub` runs it in the caller's event loop (tests, the demo);
`canary stub-verifymenow` runs it from the command line. `config.py` holds the per-version
behaviour (error, malformed, rejection and unreadable rates; latency), `provider.py` what a
request does, `validation.py` the request checks.
"""
