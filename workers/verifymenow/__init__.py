"""Clients for the VerifyMeNow identity-verification API, one module per version.

`v1.VerifyMeNowV1` and `v2.VerifyMeNowV2` speak different wire formats (documented in each
module) and return the same `result.VerificationResult`; `errors.py` holds the one error tree
both raise. Neither client retries: a failed call fails the Zeebe job, and Zeebe retries it
with a backoff (`workers.tasks.failure_policy`).
"""
