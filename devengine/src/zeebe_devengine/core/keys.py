"""Zeebe-style keys: 64-bit longs with the partition id in the upper bits.

Zeebe encodes the partition in bits 51 and up, so every key of partition 1 lies above
2^51 = 2251799813685248; the first key handed out is 2251799813685249, as on a fresh broker.
One counter serves every kind of key (deployments, definitions, instances, jobs, incidents).
"""

PARTITION_ID = 1
_PARTITION_SHIFT = 51


class KeyGenerator:
    def __init__(self, partition_id: int = PARTITION_ID) -> None:
        self._next = (partition_id << _PARTITION_SHIFT) + 1

    def next(self) -> int:
        key = self._next
        self._next += 1
        return key
