"""Bulk operations: the record each bulk API request leaves behind (Knock's BulkOperation).

The emulator applies bulk work at once, so every operation finished when it was recorded; it is
kept so `GET /v1/bulk_operations/{id}` can return it, and cleared with the rest of the state on
reset.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

_NAMESPACE = "1d3c9f55-0b7e-4f51-a1f4-6c2e8a0b9d47"


@dataclass(frozen=True, slots=True)
class BulkOperation:
    """A bulk operation that completed at `at` over `rows` rows, none of them failing."""

    id: str
    name: str
    rows: int
    at: datetime


class BulkOperations:
    """Completed bulk operations by id, in the order they ran."""

    def __init__(self) -> None:
        self._by_id: dict[str, BulkOperation] = {}

    def record(self, name: str, rows: int, now: datetime) -> BulkOperation:
        """Store a finished operation; ids are stable for a given history (uuid5 of the count)."""
        import uuid  # with the first bulk operation

        op_id = str(uuid.uuid5(uuid.UUID(_NAMESPACE), f"bulk_operation:{len(self._by_id)}"))
        operation = BulkOperation(op_id, name, rows, now)
        self._by_id[op_id] = operation
        return operation

    def get(self, op_id: str) -> BulkOperation | None:
        return self._by_id.get(op_id)

    def __len__(self) -> int:
        return len(self._by_id)

    def clear(self) -> None:
        self._by_id.clear()
