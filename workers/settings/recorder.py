"""The outcome recorder: a bounded in-memory buffer written to Postgres in batches."""

from collections.abc import Mapping
from dataclasses import dataclass

from workers.errors import ConfigError
from workers.settings.read import positive_duration, positive_int


@dataclass(frozen=True, slots=True)
class RecorderSettings:
    """The outcome recorder: a bounded in-memory buffer written to Postgres in batches."""

    #: Records held while Postgres is slow or down; past it records are counted and dropped.
    buffer_size: int = 100_000
    #: Rows written per batch (one COPY per table, one transaction). Fewer, larger batches
    #: spread a commit (its wait for the disk) and the counting triggers' per-batch work over
    #: more rows: 5 000 wrote about 1.5 times as fast as 1 000, and 20 000 a quarter faster
    #: than 10 000 (bench/recorder_throughput.py, docs/benchmarks.md).
    batch_size: int = 20_000
    #: Longest a record waits in memory before a write is attempted.
    flush_interval: float = 1.0
    #: How long stopping may take to write what is left.
    stop_timeout: float = 10.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> "RecorderSettings":
        default = cls()
        buffer_size = positive_int(
            environ, "CANARY_RECORDER_BUFFER_SIZE", default.buffer_size, maximum=10_000_000
        )
        batch_size = positive_int(
            environ, "CANARY_RECORDER_BATCH_SIZE", default.batch_size, maximum=100_000
        )
        if batch_size > buffer_size:
            msg = "CANARY_RECORDER_BATCH_SIZE must not exceed CANARY_RECORDER_BUFFER_SIZE"
            raise ConfigError(msg)
        return cls(
            buffer_size=buffer_size,
            batch_size=batch_size,
            flush_interval=positive_duration(
                environ, "CANARY_RECORDER_FLUSH_INTERVAL", default.flush_interval
            ),
            stop_timeout=positive_duration(
                environ, "CANARY_RECORDER_STOP_TIMEOUT", default.stop_timeout
            ),
        )
