"""What `doorstep serve --data-dir DIR` keeps: `DIR/mail.sqlite3` (captured mail, the data format,
the start count) and `DIR/journal.sqlite3` (a snapshot of the state and every change since,
replayed on start) for the first environment, `mail-NAME.sqlite3` and `journal-NAME.sqlite3` for
each other one."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from emulator import COMPACT_EVERY, Journal
from emulator.mail import SqliteMailStore

DEFAULT_MAX_RUNS = 10_000  # `--max-runs`: finished runs kept (with their messages)
DEFAULT_FULL_TRACES = 1_000  # `--full-traces`: finished runs that keep their full trace
MAIL_DB = "mail.sqlite3"
JOURNAL_DB = "journal.sqlite3"


@dataclass(frozen=True, slots=True)
class DataDir:
    """The opened data dir: the mail store, this start's generation and the journal."""

    path: Path
    store: SqliteMailStore
    generation: int  # seeds every id stream of this start: ids never repeat across restarts
    journal: Journal


def open_data_dir(
    path: Path, environment: str | None = None, *, compact_every: int = COMPACT_EVERY
) -> DataDir:
    """Open (or create) a data dir's files for the first environment (None) or `environment`;
    DataFormatError / JournalError refuse a format this version cannot read, naming the file
    and what to do."""
    path.mkdir(parents=True, exist_ok=True)
    suffix = "" if environment is None else f"-{environment}"
    store = SqliteMailStore(path / MAIL_DB.replace(".", f"{suffix}.", 1))
    try:
        generation = store.next_generation()
        journal = Journal(
            path / JOURNAL_DB.replace(".", f"{suffix}.", 1),
            generation=generation,
            compact_every=compact_every,
        )
    except Exception:
        store.close()
        raise
    return DataDir(path, store, generation, journal)
