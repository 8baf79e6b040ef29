"""Writing the field-survey form: ``form.xlsx`` (the XLSForm to upload to
KoboToolbox or ODK Central), ``assets.csv`` (its attachment) and ``form.xml``
(the XForm pyxform made of it, proof that it converts)."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from ..common._text import defuse_frame
from ..common.io import atomic_path, write_text
from ..survey.form import SurveyForm, xform


def form_workbook(form: SurveyForm) -> bytes:
    """The XLSForm as XLSX bytes (sheets survey, choices, settings)."""
    out = io.BytesIO()
    with pd.ExcelWriter(out, engine="openpyxl") as writer:
        form.survey.to_excel(writer, sheet_name="survey", index=False)
        form.choices.to_excel(writer, sheet_name="choices", index=False)
        form.settings.to_excel(writer, sheet_name="settings", index=False)
    return out.getvalue()


def write_survey_form(folder: Path, form: SurveyForm) -> list[Path]:
    """Convert the form (nothing is written if pyxform reports a problem),
    then write ``form.xlsx``, ``assets.csv`` and ``form.xml`` into ``folder``."""
    folder = Path(folder)
    book = form_workbook(form)
    xml = xform(book, str(folder / "form.xlsx"))
    with atomic_path(folder / "form.xlsx") as tmp:
        tmp.write_bytes(book)
    with atomic_path(folder / "assets.csv") as tmp:  # no byte-order mark: Collect reads the first header as is
        # opened in a spreadsheet too: no cell may start a formula (asset ids start with reg-/osm-, unchanged)
        defuse_frame(form.assets).to_csv(tmp, index=False, encoding="utf-8", lineterminator="\n")
    return [folder / "form.xlsx", folder / "assets.csv", write_text(xml, folder / "form.xml")]
