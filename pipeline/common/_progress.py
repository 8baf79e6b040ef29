"""Progress of long steps (fact sheets, a national run, workshop cards): a
tqdm bar on a terminal, plain log lines with the time left elsewhere (a log
file, CI, a notebook's captured output). Quiet runs show neither."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
#: Plain log lines at these shares of the work done.
MARKS = (0.25, 0.5, 0.75, 1.0)


def _duration(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 90 else f"{seconds:.0f} s"


def steps(items: Iterable[T], total: int, what: str, log: logging.Logger, unit: str = "item") -> Iterator[T]:
    """``items``, reporting how many of ``total`` are done: a bar when standard
    error is a terminal and the log shows INFO, else an INFO line at each
    quarter with the time left. Too few items for either: nothing shown."""
    if total < 2 or not log.isEnabledFor(logging.INFO):
        yield from items
        return
    if sys.stderr.isatty():
        from tqdm import tqdm

        yield from tqdm(items, total=total, desc=what, unit=unit, leave=False, file=sys.stderr, dynamic_ncols=True)
        return
    start, marks = time.perf_counter(), list(MARKS)
    for done, item in enumerate(items, start=1):
        yield item
        if marks and done / total >= marks[0]:
            while marks and done / total >= marks[0]:
                marks.pop(0)
            elapsed = time.perf_counter() - start
            left = elapsed / done * (total - done)
            log.info("%s: %d/%d %ss, %s%s", what, done, total, unit, _duration(elapsed),
                     f", about {_duration(left)} left" if done < total else "")
