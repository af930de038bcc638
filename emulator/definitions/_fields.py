"""Problem collection and typed field readers shared by every parser.

Parsers never stop at the first mistake: each reader records a Problem (file, JSON path, what is
wrong, how to fix it) and returns a neutral value, so one load reports everything at once.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from typing import Any

from emulator.core import DefinitionError, Problem
from emulator.definitions._model import Source

_MISSING: Any = object()


class Problems:
    """An accumulating list of Problems.

    `origins` maps a JSON path to the file its value was read from (an `@` file reference), so a
    problem inside inlined content names the file the user must edit.
    """

    def __init__(self, origins: Mapping[str, str] | None = None) -> None:
        self.items: list[Problem] = []
        self._origins = dict(origins or {})

    def add(self, source: Source, message: str, fix: str) -> None:
        """Record one problem at `source`, naming the file its value came from."""
        self.items.append(Problem(self._file(source), source.path, message, fix))

    def absorb(self, error: DefinitionError) -> None:
        """Take over another parser's problems, re-pointing them at inlined files."""
        for p in error.problems:
            file = self._file(Source(p.file, p.path))
            self.items.append(Problem(file, p.path, p.message, p.fix, p.line))

    def raise_if_any(self) -> None:
        """Raise one DefinitionError listing every problem, if there are any."""
        if self.items:
            raise DefinitionError(self.items)

    def _file(self, source: Source) -> str:
        best, best_len = source.file, -1
        for prefix, file in self._origins.items():
            if len(prefix) > best_len and _under(source.path, prefix):
                best, best_len = file, len(prefix)
        return best


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith((prefix + ".", prefix + "["))


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice most like `word`, for "did you mean" hints; None when none is close."""
    import difflib  # only to suggest a name after a mistake

    found = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return found[0] if found else None


def did_you_mean(word: str, choices: Collection[str]) -> str:
    """A fix that suggests the closest choice, or lists them all."""
    guess = closest(word, choices)
    listed = ", ".join(sorted(choices))
    return f"did you mean `{guess}`? (allowed: {listed})" if guess else f"use one of: {listed}"


def type_name(value: Any) -> str:
    """What a JSON/YAML value is, in the words a problem message uses."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


def iter_strings(value: Any, src: Source) -> Iterator[tuple[Source, str]]:
    """Every string inside `value` (a template object, say) with where it sits, depth first."""
    if isinstance(value, str):
        yield src, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from iter_strings(item, src.at(str(key)))
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from iter_strings(item, src.at(f"[{i}]"))


def check_keys(
    obj: Mapping[str, Any], allowed: Collection[str], src: Source, probs: Problems, what: str
) -> None:
    """Report every key Doorstep would otherwise ignore, with the closest known key."""
    for key in obj:
        if key not in allowed:
            probs.add(
                src.at(str(key)),
                f"unknown field `{key}` in {what}",
                f"remove it or {did_you_mean(str(key), allowed)}",
            )


def as_map(value: Any, src: Source, probs: Problems, what: str) -> Mapping[str, Any] | None:
    """`value` when it is an object; otherwise None and a problem."""
    if isinstance(value, Mapping):
        return value
    probs.add(
        src, f"{what} must be an object, got {type_name(value)}", f"write {what} as a mapping"
    )
    return None


def get_str(
    obj: Mapping[str, Any],
    key: str,
    src: Source,
    probs: Problems,
    *,
    required: bool = False,
    max_len: int | None = None,
) -> str | None:
    """`obj[key]` as a string (None when absent or wrong); `required` also refuses blanks."""
    value = obj.get(key, _MISSING)
    if value is _MISSING or value is None:
        if required:
            probs.add(src.at(key), f"`{key}` is required", f"add `{key}` (a string)")
        return None
    if not isinstance(value, str):
        probs.add(
            src.at(key),
            f"`{key}` must be a string, got {type_name(value)}",
            f"write `{key}` as a quoted string",
        )
        return None
    if required and not value.strip():
        probs.add(src.at(key), f"`{key}` is empty", f"give `{key}` a value")
        return None
    if max_len is not None and len(value) > max_len:
        probs.add(
            src.at(key),
            f"`{key}` is {len(value)} characters long, more than {max_len}",
            f"shorten `{key}` to at most {max_len} characters",
        )
    return value


def get_bool(obj: Mapping[str, Any], key: str, src: Source, probs: Problems, default: bool) -> bool:
    """`obj[key]` as a boolean, or `default` when absent or wrong."""
    value = obj.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        probs.add(
            src.at(key),
            f"`{key}` must be true or false, got {type_name(value)}",
            f"write `{key}: true` or `{key}: false`",
        )
        return default
    return value


def get_int(
    obj: Mapping[str, Any],
    key: str,
    src: Source,
    probs: Problems,
    *,
    low: int,
    high: int,
) -> int | None:
    """`obj[key]` as a whole number within `low..high`, or None when absent or wrong."""
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        probs.add(
            src.at(key),
            f"`{key}` must be a whole number, got {type_name(value)} ({value!r})",
            f"write `{key}` as an integer between {low} and {high}",
        )
        return None
    if not low <= value <= high:
        probs.add(
            src.at(key),
            f"`{key}` is {value}, outside {low}..{high}",
            f"set `{key}` to an integer between {low} and {high}",
        )
        return None
    return value


def get_enum(
    obj: Mapping[str, Any],
    key: str,
    choices: tuple[str, ...],
    src: Source,
    probs: Problems,
    default: str,
) -> str:
    """`obj[key]` when it is one of `choices`, else `default` (a problem if it was set)."""
    value = obj.get(key)
    if value is None:
        return default
    if not isinstance(value, str) or value not in choices:
        probs.add(
            src.at(key),
            f"`{key}` is {value!r}, which Knock does not accept",
            did_you_mean(str(value), choices),
        )
        return default
    return value


def get_list(obj: Mapping[str, Any], key: str, src: Source, probs: Problems) -> list[Any]:
    """`obj[key]` as a list (empty when absent or wrong)."""
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        probs.add(
            src.at(key),
            f"`{key}` must be a list, got {type_name(value)}",
            f"write `{key}` as a list",
        )
        return []
    return list(value)


def get_str_list(obj: Mapping[str, Any], key: str, src: Source, probs: Problems) -> tuple[str, ...]:
    """`obj[key]` as strings; items that are not strings are reported and left out."""
    out: list[str] = []
    for i, item in enumerate(get_list(obj, key, src, probs)):
        if isinstance(item, str):
            out.append(item)
        else:
            probs.add(
                src.at(key).at(f"[{i}]"),
                f"`{key}` items must be strings, got {type_name(item)}",
                "quote the item",
            )
    return tuple(out)
