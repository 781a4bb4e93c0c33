"""One exception family for every error a user can cause and act on.

The CLI turns any :class:`SimError` into its message (one line per problem) and exit code 2.
Internal bugs are *not* SimErrors: they still raise with a traceback, so we see them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem at one place in one file: ``FILE:LINE:COL: path: message``."""

    file: str
    line: int
    col: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.col}" if self.line else self.file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class SimError(Exception):
    """Base class of every user-facing error (bad scenario, bad flag, bad orders, ...)."""


class ScenarioError(SimError):
    """A scenario file (or a variant of it) is invalid; carries every problem found in one pass."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems), key=lambda p: (p.file, p.line, p.col, p.path))
        super().__init__("\n".join(str(p) for p in self.problems))


class UsageError(SimError):
    """A command-line flag or argument is wrong (unknown variant, --runs 0, missing file...)."""


class OrdersError(SimError):
    """A wargame order is illegal; nothing of the turn is applied."""


class ResultsError(SimError):
    """A results folder is missing, unreadable, or not from the scenario it claims."""


class RunStoppedError(ResultsError):
    """A run stopped for a reason outside the scenario (disk full, cluster lost); its results
    folder keeps every finished batch and `geosim run --resume` completes it."""


def terminal_safe(text: str) -> str:
    """`text` with every character a terminal would act on or choke on written as an escape.

    Line breaks and tabs stay; control codes (`\\x1b[31m`), lone surrogates (from file names
    that are not UTF-8) and bidirectional overrides become `\\x1b`, `\\udcff`, `\\u202e`. So
    a message naming hostile input neither recolours the terminal nor raises
    UnicodeEncodeError on the way out.
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or c in "\n\t" else ascii(c)[1:-1] for c in text)


def check_at_least(flag: str, value: int | None, minimum: int, why: str = "") -> None:
    """Raise the one-line UsageError `--flag must be at least N (got V)`; None passes."""
    if value is not None and value < minimum:
        raise UsageError(f"{flag} must be at least {minimum}{why} (got {value})")
