"""`Environments`: the Knock environments one `doorstep serve` runs, each its own `Emulator`.

As in Knock, each environment has its own data (users, tenants, objects, preferences, runs,
messages, captured mail) and its own committed content, and a public-API request belongs to the
environment its key belongs to. Which key reaches which environment:

1. a key listed under an environment's `keys:` in the config;
2. else a key `sk_<slug>_...` / `pk_<slug>_...` naming an environment (`sk_staging_x`);
   `live` stands for `production` and `test` for the first environment (`sk_live_x`, `sk_test_x`);
3. else the first environment (development).

When the config lists keys, an environment accepts only its listed secret keys (others get 401).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from emulator._emulator import Emulator
from emulator.core import DoorstepError
from emulator.engine import ContentCommit

_ALIASES = {"live": "production"}


class UnknownEnvironmentError(DoorstepError):
    """An environment slug that is not one of the served environments."""


class UnknownCommitError(DoorstepError):
    """A commit id no environment has."""


class PromotionError(DoorstepError):
    """A promotion that cannot happen (to the first environment, or from the last)."""


@dataclass(frozen=True, slots=True)
class Environment:
    """One environment: its slug, its emulator (data and committed content) and its keys."""

    name: str
    emulator: Emulator
    keys: frozenset[str] = frozenset()


class Environments:
    """The served environments in promotion order: the first is development, the last is
    production; content moves up this list, never down."""

    def __init__(self, environments: Sequence[Environment]) -> None:
        if not environments:
            raise DoorstepError("at least one environment is needed (development)")
        self._by_name = {env.name: env for env in environments}
        self._key_owner = {key: env.name for env in environments for key in env.keys}

    def __iter__(self) -> Iterator[Environment]:
        return iter(self._by_name.values())

    def __len__(self) -> int:
        return len(self._by_name)

    @property
    def names(self) -> list[str]:
        """The slugs in promotion order."""
        return list(self._by_name)

    @property
    def default(self) -> Environment:
        """The first environment (development): where content is edited."""
        return next(iter(self._by_name.values()))

    @property
    def keys_configured(self) -> bool:
        """Whether the config lists keys (then only listed secret keys are accepted)."""
        return bool(self._key_owner)

    def get(self, name: str) -> Environment:
        """The environment `name`; UnknownEnvironmentError lists the served ones."""
        try:
            return self._by_name[name]
        except KeyError:
            raise UnknownEnvironmentError(
                f"no environment {name!r}; this server runs {', '.join(self._by_name)} "
                "(add more with `environments:` in the config file)"
            ) from None

    def above(self, name: str) -> Environment | None:
        """The environment content is promoted to from `name` (None above the last)."""
        names = self.names
        index = names.index(self.get(name).name)
        return self._by_name[names[index + 1]] if index + 1 < len(names) else None

    def for_key(self, key: str | None) -> Environment:
        """The environment an API key belongs to (the rules in this module's docstring)."""
        if key is None:
            return self.default
        owner = self._key_owner.get(key)
        if owner is not None:
            return self._by_name[owner]
        parts = key.split("_")
        if len(parts) >= 3 and parts[0] in ("sk", "pk"):
            slug = parts[1]
            if slug in self._by_name:
                return self._by_name[slug]
            alias = _ALIASES.get(slug)
            if alias in self._by_name:
                return self._by_name[alias]
        return self.default

    def below(self, name: str) -> Environment | None:
        """The environment content is promoted from into `name` (None for the first)."""
        names = self.names
        index = names.index(self.get(name).name)
        return self._by_name[names[index - 1]] if index > 0 else None

    def promote(self, to: str) -> list[ContentCommit]:
        """Apply every unpromoted commit of the environment below `to` to `to`, oldest first
        (Knock's `knock commit promote --to`); the new commits in `to`."""
        target = self.get(to)
        source = self.below(to)
        if source is None:
            raise PromotionError(
                f"cannot promote to {to!r}: it is the first environment; commits are promoted "
                f"upward, to {', '.join(self.names[1:]) or 'a later environment'}"
            )
        made = []
        with source.emulator.lock, target.emulator.lock:
            for commit in [c for c in source.emulator.content.commits if not c.promoted]:
                made.append(_apply(target, commit))
                source.emulator.mark_promoted(commit.id)
        return made

    def promote_commit(self, commit_id: str) -> tuple[Environment, ContentCommit]:
        """Apply one commit to the environment above its own; (that environment, the commit
        made there). UnknownCommitError when no environment has the id."""
        for env in self:
            with env.emulator.lock:
                commit = next((c for c in env.emulator.content.commits if c.id == commit_id), None)
            if commit is None:
                continue
            target = self.above(env.name)
            if target is None:
                raise PromotionError(
                    f"commit {commit_id} is in {env.name}, the last environment; there is "
                    "nowhere to promote it"
                )
            with env.emulator.lock, target.emulator.lock:
                made = _apply(target, commit)
                env.emulator.mark_promoted(commit.id)
            return target, made
        raise UnknownCommitError(f"no commit with id {commit_id!r} in any environment")

    def find_commit(self, commit_id: str) -> tuple[Environment, ContentCommit]:
        """The environment holding a commit and the commit; UnknownCommitError otherwise."""
        for env in self:
            for commit in env.emulator.content.commits:
                if commit.id == commit_id:
                    return env, commit
        raise UnknownCommitError(f"no commit with id {commit_id!r} in any environment")

    def reset(self) -> None:
        """Reset every environment's emulator (data only; content stays)."""
        for env in self:
            env.emulator.reset()


def _apply(target: Environment, commit: ContentCommit) -> ContentCommit:
    """A commit of the environment below, made (journaled) in `target`."""
    return target.emulator.apply_commit(
        commit.resource_type, commit.resource_key, commit.document, commit.message
    )
