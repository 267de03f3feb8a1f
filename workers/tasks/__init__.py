"""pyzeebe task functions: thin glue between a job and the code that does the work.

Task functions are `async def` (pyzeebe runs sync ones in a thread without our logging
context) and stay directly callable with a `Job`, which is how the unit tests call them.
This package must not use `from __future__ import annotations`: pyzeebe finds the `Job`
parameter by comparing annotation objects.
"""
