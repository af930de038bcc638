"""The namespaces a condition reads (`data.`, `recipient.`, ...), each built on first read."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from emulator.engine._scopes import send_vars
from emulator.engine._state import RunState


class Namespaces(Mapping[str, Any]):
    """A condition's `data.`, `recipient.`, ... roots, built only when a condition reads them.

    `engine` is the `Engine` (not imported: the engine imports this module)."""

    _BUILDERS: dict[str, Callable[[Any, RunState], Any]] = {
        "data": lambda engine, rs: rs.data,
        "recipient": lambda engine, rs: engine.recipient_scope(rs),
        "actor": lambda engine, rs: engine.actor_scope(rs),
        "tenant": lambda engine, rs: engine.tenant_scope(rs),
        "vars": lambda engine, rs: send_vars(engine.vars, engine.tenant_scope(rs)),
        "workflow": lambda engine, rs: engine.workflow_scope(rs),
        "run": lambda engine, rs: engine.run_scope(rs),
        "audiences": lambda engine, rs: engine.audiences,  # for is_audience_member
    }

    def __init__(self, engine: Any, rs: RunState) -> None:
        self._engine, self._rs = engine, rs
        self._built: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._built:
            builder = self._BUILDERS[name]  # KeyError for unknown namespaces, as a dict would
            self._built[name] = builder(self._engine, self._rs)
        return self._built[name]

    def __iter__(self) -> Any:
        return iter(self._BUILDERS.keys() | self._built.keys())

    def __len__(self) -> int:
        return len(self._BUILDERS.keys() | self._built.keys())

    def __contains__(self, name: object) -> bool:
        return name in self._BUILDERS or name in self._built
