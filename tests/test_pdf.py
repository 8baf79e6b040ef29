"""Printing a long page in parts (pipeline.common.pdf): how the sections are
shared out, and a link no part can resolve dropped as WeasyPrint drops it."""

from __future__ import annotations

import logging

import pytest

from pipeline.common.pdf import _balanced_runs, _printable, write_pdf_sections


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
    a span (unwrapped for printing, :func:`_printable`): the Greek side fills
    its line and the English starts the next. (With the span printed,
    WeasyPrint misses the break opportunity of a space just before an inline
    box and broke the Greek side after its first word, unless the space sat
    inside the span.)"""
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


def test_printing_unwraps_only_the_spans_that_only_name_a_language():
    head = "<html><head><style>td{color:red}</style></head><body>"
    page = (head + 'Δρόμος /<span lang="en"> Road</span>, <span lang="en" class="x">kept</span> '
            '<span lang="en"><b>kept</b></span> &lt;span lang="en"&gt;text&lt;/span&gt;</body></html>')
    printed = _printable(page, "p{margin:0}")
    assert printed == (head.replace("</style>", "p{margin:0}</style>") + 'Δρόμος / Road, <span lang="en" class="x">kept</span> '
                       '<span lang="en"><b>kept</b></span> &lt;span lang="en"&gt;text&lt;/span&gt;</body></html>')
    for selecting in ("span:lang(en){font-style:italic}", "[lang=en]{color:blue}", "p{hyphens: auto}"):
        assert _printable(page, selecting) == page.replace("</style>", selecting + "</style>")


@pytest.mark.slow  # WeasyPrint twice
def test_unwrapped_language_spans_print_the_same_lines(tmp_path, monkeypatch):
    """Every criterion's bilingual label in a narrow column, printed as the
    fact sheets are (spans unwrapped) and with its spans: the same lines."""
    import re

    pytest.importorskip("weasyprint", reason="WeasyPrint is not installed (pip install -e '.[pdf]')")
    pypdf = pytest.importorskip("pypdf")
    from pipeline.common import pdf
    from pipeline.features import REGISTRY
    from pipeline.publish._bilingual import Bi, html_text
    from pipeline.publish.factsheets import PRINT_CSS, _head, _TAIL

    rows = "".join(f"<tr><td>{html_text(Bi(c.label_el, c.label_en))}</td><td>{html_text(Bi(c.unit, c.unit))}</td>"
                   f"<td>-</td></tr>" for c in REGISTRY.values())
    page = _head("t") + f"<table><tr><th style='width:30%'>a</th><th>b</th><th>c</th></tr>{rows}</table>" + _TAIL
    assert page.count('<span lang="en">') >= len(REGISTRY)

    def lines(path):
        return [line.rstrip() for p in pypdf.PdfReader(path).pages for line in p.extract_text().splitlines()]

    unwrapped = lines(pdf.write_pdf(page, tmp_path / "unwrapped.pdf", PRINT_CSS))
    monkeypatch.setattr(pdf, "_LANGUAGE_SPAN", re.compile("(?!)()"))  # matches nothing: the spans printed
    assert lines(pdf.write_pdf(page, tmp_path / "spans.pdf", PRINT_CSS)) == unwrapped
    assert len(unwrapped) > len(REGISTRY)
