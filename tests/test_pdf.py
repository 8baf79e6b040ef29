"""Printing a long page in parts (pipeline.common.pdf): how the sections are
shared out, and a link no part can resolve dropped as WeasyPrint drops it."""

from __future__ import annotations

import logging

import pytest

from pipeline.common.pdf import _balanced_runs, write_pdf_sections


@pytest.mark.parametrize("sizes, parts", [([5] * 10, 2), ([100, 1, 1, 1, 1], 2), ([1, 2, 3, 4, 5, 6, 7], 3),
                                          ([3, 3], 2), ([7], 3), ([1] * 5, 5)])
def test_the_parts_are_consecutive_whole_runs_as_even_as_cuts_allow(sizes, parts):
    runs = _balanced_runs(sizes, parts)
    assert runs[0][0] == 0 and runs[-1][1] == len(sizes)
    assert all(a < b for a, b in runs) and all(b == c for (_, b), (c, _) in zip(runs, runs[1:]))
    assert len(runs) == min(parts, len(sizes))
    if sizes == [5] * 10:
        assert runs == [(0, 5), (5, 10)]
    if sizes[0] == 100:  # the long contents alone in the first part
        assert runs[0] == (0, 1)


@pytest.mark.slow  # a worker process
def test_a_link_to_no_anchor_is_dropped_and_said(tmp_path, caplog):
    pytest.importorskip("weasyprint", reason="WeasyPrint is not installed (pip install -e '.[pdf]')")
    pypdf = pytest.importorskip("pypdf")
    contents = "<section><a href='#s1'>one</a> <a href='#s2'>two</a> <a href='#gone'>gone</a></section>"
    sheets = [f"<section id='s{i}' style='break-before:page'><h1>Sheet {i}</h1></section>" for i in (1, 2)]
    with caplog.at_level(logging.ERROR):
        path = write_pdf_sections("<html><head><style></style></head><body>", [contents, *sheets], "</body></html>",
                                  tmp_path / "a.pdf", parts=2)
    reader = pypdf.PdfReader(path)
    assert [str(a.get_object()["/Dest"]) for a in reader.pages[0]["/Annots"]] == ["s1", "s2"]
    assert {k: reader.get_destination_page_number(d) for k, d in reader.named_destinations.items()} == {"s1": 1, "s2": 2}
    assert "No anchor #gone" in caplog.text


@pytest.mark.slow  # a worker process
def test_a_part_that_fails_names_itself_and_leaves_no_pdf(tmp_path, monkeypatch):
    import shutil
    import sys

    pytest.importorskip("weasyprint", reason="WeasyPrint is not installed (pip install -e '.[pdf]')")
    pytest.importorskip("pypdf")
    monkeypatch.setattr(sys, "executable", shutil.which("false"))  # every worker exits with 1
    sheets = [f"<section id='s{i}'><h1>Sheet {i}</h1></section>" for i in range(4)]
    with pytest.raises(RuntimeError, match=r"printing part1 of atlas\.pdf failed"):
        write_pdf_sections("<html><head><style></style></head><body>", sheets, "</body></html>",
                           tmp_path / "atlas.pdf", parts=2)
    assert list(tmp_path.iterdir()) == []


def test_a_bilingual_text_in_a_narrow_cell_breaks_between_its_sides(tmp_path):
    """The fact sheets' Greek side is the page's own text and the English side
    a span: WeasyPrint misses the break opportunity of a space just before an
    inline box and broke the Greek side after its first word; with the space
    inside the English span the Greek side fills its line and the English
    starts the next, as when both sides were spans."""
    pytest.importorskip("weasyprint", reason="WeasyPrint is not installed (pip install -e '.[pdf]')")
    pypdf = pytest.importorskip("pypdf")
    from pipeline.common.pdf import write_pdf
    from pipeline.publish._bilingual import Bi, html_text
    from pipeline.publish.factsheets import CSS, PRINT_CSS, _head, _TAIL

    cell = html_text(Bi("Ενεργειακή κοινότητα - φωτοβολταϊκό στέγης", "Energy community solar (rooftop)"))
    table = (f"<table><tr><th>χρήση</th><th style='width:10%'>βαθμός</th><th style='width:60%'>αιτιολόγηση</th></tr>"
             f"<tr><td>{cell}</td><td>67/100</td><td>-</td></tr></table>")
    assert CSS in _head("t")
    path = write_pdf(_head("t") + table + _TAIL, tmp_path / "cell.pdf", PRINT_CSS)
    lines = [line.strip() for line in pypdf.PdfReader(path).pages[0].extract_text().splitlines()]
    assert lines[1:3] == ["Ενεργειακή κοινότητα - φωτοβολταϊκό στέγης /", "Energy community solar (rooftop)"], lines
