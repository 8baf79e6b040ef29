"""Long steps report their progress: a bar on a terminal, a log line at each
quarter elsewhere, nothing when the log is quiet; the items pass unchanged."""

from __future__ import annotations

import logging
import sys

from pipeline.common._progress import steps

log = logging.getLogger("idle-assets-test-progress")


def test_off_a_terminal_a_line_at_each_quarter_with_the_time_left(caplog):
    with caplog.at_level(logging.INFO, logger=log.name):
        assert list(steps(iter(range(8)), 8, "fact sheets", log, "sheet")) == list(range(8))
    lines = [r.getMessage() for r in caplog.records]
    assert [line.split(":")[1].split()[0] for line in lines] == ["2/8", "4/8", "6/8", "8/8"]
    assert "left" in lines[0] and "left" not in lines[-1]


def test_quiet_runs_and_single_items_show_nothing(caplog):
    with caplog.at_level(logging.WARNING, logger=log.name):
        assert list(steps(range(8), 8, "x", log)) == list(range(8))
    with caplog.at_level(logging.INFO, logger=log.name):
        assert list(steps(range(1), 1, "x", log)) == [0]
    assert caplog.records == []


def test_on_a_terminal_a_bar(monkeypatch, capsys, caplog):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    with caplog.at_level(logging.INFO, logger=log.name):
        assert list(steps(range(5), 5, "national run", log, "municipality")) == list(range(5))
    assert "national run" in capsys.readouterr().err and caplog.records == []
