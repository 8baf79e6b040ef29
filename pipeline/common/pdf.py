"""PDFs printed by WeasyPrint from our HTML pages, on every core for long ones.

:func:`write_pdf` prints a page in this process. :func:`write_pdf_sections`
prints a page made of many sections (the atlas: a contents page, then a sheet
per asset) in parts side by side, one per core: this process prints the first
part while ``python -m pipeline.common.pdf`` prints each other one, and the
parts are joined with pypdf into one file whose internal links (the contents
page's, to sheets in any part), bookmarks and title are those of the page
printed whole. WeasyPrint lays a page out on one core, about 0.17 s a page.

Both write through :func:`pipeline.common.io.atomic_path` and pin
``SOURCE_DATE_EPOCH`` so that two runs on the same inputs give the same
bytes. This module imports only the standard library at its top: the worker
processes import it and WeasyPrint, nothing else.
"""

from __future__ import annotations

import calendar
import contextlib
import json
import logging
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, cast

log = logging.getLogger(__name__)

#: Sections a part must hold before printing in parts pays off: starting a
#: worker (Python and WeasyPrint) costs about a second, a section about 0.17 s.
SECTIONS_PER_PART = 40
#: Processes printing one document at most; ``None``: as many as the cores.
PROCESSES: int | None = None


def write_pdf(page: str, target: Path, print_css: str = "") -> Path | None:
    """``page`` (an HTML document) printed as PDF by WeasyPrint with
    ``print_css`` added to its style, when WeasyPrint is installed (the ``pdf``
    extra and the Pango library); otherwise nothing, and the log says why."""
    if not _weasyprint_available(target):
        return None
    import weasyprint

    from .io import atomic_path

    with atomic_path(target) as tmp, _fonts_dated_fixed():
        weasyprint.HTML(string=_printable(page, print_css)).write_pdf(tmp)
    return Path(target)


def write_pdf_sections(head: str, sections: Sequence[str], tail: str, target: Path, print_css: str = "",
                       parts: int | None = None) -> Path | None:
    """The page ``head + "".join(sections) + tail`` printed as PDF, in up to
    ``parts`` parts side by side (default: one per core, or
    :data:`PROCESSES`, each of at least :data:`SECTIONS_PER_PART` sections),
    joined into ``target``.

    A section must not break across parts: each part is the head, a run of
    whole sections and the tail. Pages that number themselves (CSS
    ``counter(page)``) are printed whole, since each part would count from 1.
    Otherwise as :func:`write_pdf`."""
    if not _weasyprint_available(target):
        return None
    if parts is None:
        parts = min(PROCESSES or os.cpu_count() or 1, len(sections) // SECTIONS_PER_PART)
    whole = head + "".join(sections) + tail
    if parts <= 1 or len(sections) < 2 or "counter(page" in whole + print_css or not _pypdf_available():
        return write_pdf(whole, target, print_css)
    from .io import atomic_path

    runs = _balanced_runs([_print_cost(s) for s in sections], parts)
    with tempfile.TemporaryDirectory(prefix="pdf-parts-") as tmp, _fonts_dated_fixed():
        folder = Path(tmp)
        pages = [folder / f"part{i}.html" for i in range(len(runs))]
        for path, (start, stop) in zip(pages, runs):
            path.write_text(_printable(head + "".join(sections[start:stop]) + tail, print_css), encoding="utf-8")
        workers = []
        try:
            for path in pages[1:]:  # what a worker says goes to files: a full pipe would stall it
                with open(path.with_suffix(".log"), "w", encoding="utf-8") as log_file:
                    workers.append(subprocess.Popen([sys.executable, "-m", __name__, str(path), str(path.with_suffix(".pdf")),
                                                     str(path.with_suffix(".json"))], stdout=log_file, stderr=log_file))
            defined = [_print_part(pages[0].read_text(encoding="utf-8"), pages[0].with_suffix(".pdf"))]
            for path, worker in zip(pages[1:], workers):
                worker.wait()
                said = path.with_suffix(".log").read_text(encoding="utf-8").strip()
                if worker.returncode != 0:
                    raise RuntimeError(f"printing {path.stem} of {Path(target).name} failed: {said[-2000:]}")
                for line in filter(None, said.splitlines()):
                    log.warning("%s, %s: %s", Path(target).name, path.stem, line)  # WeasyPrint's warnings
                defined.append(json.loads(path.with_suffix(".json").read_text(encoding="utf-8")))
        finally:
            for worker in workers:
                if worker.poll() is None:
                    worker.kill()
                    worker.wait()
        with atomic_path(target) as joined:
            _join([p.with_suffix(".pdf") for p in pages], defined, joined)
    return Path(target)


#: A span that only names the language of the plain text it holds.
_LANGUAGE_SPAN = re.compile(r'<span lang="[A-Za-z-]+">([^<]*)</span>')
#: Styles that select by language: where a page has one, its spans are kept.
_SELECTS_BY_LANGUAGE = re.compile(r":lang\(|\[lang|hyphens:\s*auto")


def _printable(page: str, print_css: str) -> str:
    """``page`` as WeasyPrint is given it: ``print_css`` added to its style,
    and the spans that only name their language (``<span lang="en">``, the
    English side of each bilingual text) unwrapped to their text. WeasyPrint
    prints them the same (it writes no language per span into an untagged PDF,
    and hyphenates only under ``hyphens: auto``), but each is an inline box to
    style, lay out and split across lines: about a fifth of the fact sheets'
    printing time. The HTML pages keep them, for screen readers; a page whose
    styles select by language is printed as it is."""
    page = page.replace("</style>", print_css + "</style>", 1) if print_css else page
    if _SELECTS_BY_LANGUAGE.search(page):
        return page
    return _LANGUAGE_SPAN.sub(r"\1", page)


def _weasyprint_available(target: Path) -> bool:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as exc:  # OSError: Pango missing
        log.info("%s not written: WeasyPrint unavailable (%s); pip install -e '.[pdf]'", Path(target).name, exc)
        return False
    return True


def _pypdf_available() -> bool:
    try:
        import pypdf  # noqa: F401
    except ImportError:
        log.info("printing in one process: pypdf (the pdf extra) joins the parts")
        return False
    return True


#: Embedded pictures (``data:`` URIs, the maps' SVG) in a page: each of their
#: characters costs WeasyPrint about a tenth of a character of text to lay out
#: and draw (measured on the atlas: 20-30 µs a character of tables and text,
#: 2 µs a character of a map).
_DATA_URI = re.compile(r"data:[^'\"\s)]+")
DATA_URI_COST = 0.1


def _print_cost(section: str) -> float:
    """What printing ``section`` costs, in characters of text (parts are cut to even costs)."""
    pictures = sum(len(m) for m in _DATA_URI.findall(section))
    return len(section) - pictures + DATA_URI_COST * pictures


def _balanced_runs(sizes: list[float], parts: int) -> list[tuple[int, int]]:
    """``parts`` runs ``(start, stop)`` of consecutive items, none empty, whose
    summed sizes are as even as a cut at the cumulative quantiles makes them."""
    total, cuts, running, k = sum(sizes), [0], 0.0, 1
    for i, size in enumerate(sizes[:-1], start=1):
        running += size
        while k < parts and running >= total * k / parts and i > cuts[-1]:
            cuts.append(i)
            k += 1
    cuts.append(len(sizes))
    return list(zip(cuts[:-1], cuts[1:]))


def _print_part(page: str, target: Path) -> list[str]:
    """Print one part to ``target``; return the anchors it defines. A link to
    an anchor in another part is kept (WeasyPrint drops links it cannot
    resolve) by a stand-in anchor on the part's first page, which
    :func:`_join` replaces with the real one."""
    import weasyprint

    document = weasyprint.HTML(string=page).render()
    defined = sorted({name for p in document.pages for name in p.anchors})
    linked = {link[1] for p in document.pages for link in p.links if link[0] == "internal"}
    for name in sorted(linked - set(defined)):
        document.pages[0].anchors[name] = (0, 0, 0, 0)
    document.write_pdf(target)
    return defined


def _join(parts: list[Path], defined: list[list[str]], target: Path) -> None:
    """The parts' pages in order in one PDF: each anchor pointing where the
    part defining it has it (the first part, if several do), links to an
    anchor no part defines dropped as WeasyPrint drops them, bookmarks in
    order, the first part's title and dates."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, NameObject, TextStringObject

    writer = PdfWriter()
    readers = [PdfReader(p) for p in parts]
    dests: dict[str, ArrayObject] = {}
    for reader, own in zip(readers, defined):
        start = len(writer.pages)
        writer.append(reader)
        index = {_ref(page).idnum: i for i, page in enumerate(reader.pages)}
        root: Any = reader.root_object
        names = root["/Names"]["/Dests"]["/Names"] if "/Names" in root else []
        for name, dest in zip(names[::2], names[1::2]):
            name, dest = str(name), dest.get_object()
            if name in own and name not in dests:
                dests[name] = ArrayObject([_ref(writer.pages[start + index[dest[0].idnum]]), *dest[1:]])
    tree = writer.get_named_dest_root()  # the parts' anchors, stand-ins included: rewritten in place
    del tree[:]
    for name in sorted(dests):
        tree += [TextStringObject(name), dests[name]]
    for page in writer.pages:
        if "/Annots" in page:
            kept = ArrayObject()
            for annotation in cast(Any, page["/Annots"]):
                name = annotation.get_object().get("/Dest")
                if isinstance(name, str) and str(name) not in dests:
                    log.error("No anchor #%s for internal URI reference", name)  # as WeasyPrint says it
                else:
                    kept.append(annotation)
            page[NameObject("/Annots")] = kept
    writer.add_metadata({k: v for k, v in (readers[0].metadata or {}).items()})
    with open(target, "wb") as out:  # buffered: given a path, pypdf writes through an unbuffered FileIO (660k calls)
        writer.write(out)


def _ref(page: Any) -> Any:
    """A page's indirect reference (typed loosely: pypdf types it optional)."""
    return page.indirect_reference


@contextlib.contextmanager
def _fonts_dated_fixed() -> Iterator[None]:
    """Run with ``SOURCE_DATE_EPOCH`` at :data:`pipeline.common.io.FIXED_DATE`
    (unless the user set it): fontTools dates the fonts WeasyPrint embeds
    with it (their ``head.modified``), else with the time of writing, and
    two runs on the same inputs would give different PDFs. The worker
    processes inherit it."""
    if "SOURCE_DATE_EPOCH" in os.environ:
        yield
        return
    from .io import FIXED_DATE

    os.environ["SOURCE_DATE_EPOCH"] = str(calendar.timegm(FIXED_DATE))
    try:
        yield
    finally:
        os.environ.pop("SOURCE_DATE_EPOCH", None)


if __name__ == "__main__":  # a worker of write_pdf_sections: python -m pipeline.common.pdf PAGE.html PART.pdf ANCHORS.json
    anchors = _print_part(Path(sys.argv[1]).read_text(encoding="utf-8"), Path(sys.argv[2]))
    Path(sys.argv[3]).write_text(json.dumps(anchors), encoding="utf-8")
