"""Logging: the package's informational messages go to ``logging.getLogger("hybridsolve")`` and its
children (one per module: ``hybridsolve.solvers``, ``hybridsolve.cases``, a case runner's module …).

A library stays quiet: the package logger has only a :class:`logging.NullHandler`, so nothing is
shown unless the application configures logging (``logging.basicConfig(level=logging.INFO)``
shows the case runners' progress lines, ``DEBUG`` one line per solve as well). The command line
does that for itself with :func:`cli_logging`: INFO by default, DEBUG with ``-v``, WARNING with
``-q``, on stderr (stdout is for the commands' results).

>>> import logging
>>> with cli_logging(logging.INFO):
...     logging.getLogger("hybridsolve.demo").info("shown on stderr")
...     logging.getLogger("hybridsolve.demo").debug("not shown")
"""
from __future__ import annotations

import logging
import sys
from contextlib import contextmanager

__all__ = ["LOGGER_NAME", "cli_logging", "level_from_flags"]

LOGGER_NAME = "hybridsolve"


class _StderrHandler(logging.StreamHandler):
    """A handler writing to whatever ``sys.stderr`` is when a record comes (a redirected or captured stream)."""

    def __init__(self):
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):  # StreamHandler.__init__ assigns it; the property always reads sys.stderr
        pass


class _Formatter(logging.Formatter):
    """Plain messages at INFO; ``warning: …`` / ``error: …`` above; the logger's name at DEBUG."""

    def format(self, record: logging.LogRecord) -> str:
        msg = record.getMessage()
        if record.exc_info:
            msg = f"{msg}\n{self.formatException(record.exc_info)}"
        if record.levelno >= logging.WARNING:
            return f"{record.levelname.lower()}: {msg}"
        if record.levelno < logging.INFO:
            return f"debug [{record.name}]: {msg}"
        return msg


def level_from_flags(verbose: int = 0, quiet: bool = False) -> int:
    """The level for the command line's ``-v`` (count) / ``-q`` flags: INFO, DEBUG with ``-v``, WARNING with ``-q``.

    >>> [logging.getLevelName(level_from_flags(v, q)) for v, q in ((0, False), (1, False), (0, True))]
    ['INFO', 'DEBUG', 'WARNING']
    >>> level_from_flags(1, True)
    Traceback (most recent call last):
    ...
    ValueError: -v/--verbose and -q/--quiet exclude each other
    """
    if verbose and quiet:
        raise ValueError("-v/--verbose and -q/--quiet exclude each other")
    if quiet:
        return logging.WARNING
    return logging.DEBUG if verbose else logging.INFO


@contextmanager
def cli_logging(level: int, names=(LOGGER_NAME,)):
    """Show the records of the loggers ``names`` at ``level`` and above on stderr while the block runs;
    the loggers' levels and handlers are restored afterwards (``main()`` can run several times in
    one process, as the tests do). Records still propagate (an application's own handlers see them)."""
    handler = _StderrHandler()
    handler.setFormatter(_Formatter())
    saved = []
    for name in names:
        lg = logging.getLogger(name)
        saved.append((lg, lg.level))
        lg.setLevel(level)
        lg.addHandler(handler)
    try:
        yield handler
    finally:
        for lg, old in saved:
            lg.removeHandler(handler)
            lg.setLevel(old)
