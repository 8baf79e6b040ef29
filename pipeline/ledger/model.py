"""What the ledger records: the statuses of an asset's path, the tenures and
exit reasons, who records, and one event with its checks.

Statuses follow the peers' registers (CNIG's friches, the UK brownfield
registers, Scotland's vacant and derelict land survey) and the plan's
method: reported → identified → verified → available (a council decision
that it can be offered) → offered → requested → assigned → in preparation →
operating → exited, with blocked (a dispute, a claim by another public body)
possible at any step.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

#: Each status with its Greek and English label, in the order of the path.
STATUSES: dict[str, tuple[str, str]] = {
    "reported": ("αναφέρθηκε", "reported"),
    "identified": ("εντοπίστηκε", "identified"),
    "verified": ("επαληθεύτηκε", "verified"),
    "available": ("διαθέσιμο (απόφαση Δ.Σ.)", "available (council decision)"),
    "offered": ("προσφέρθηκε", "offered"),
    "requested": ("ζητήθηκε", "requested"),
    "assigned": ("παραχωρήθηκε", "assigned"),
    "in_preparation": ("σε προετοιμασία", "in preparation"),
    "operating": ("σε λειτουργία", "operating"),
    "exited": ("εξήλθε από το μητρώο", "exited"),
    "blocked": ("σε εκκρεμότητα (διαφορά ή διεκδίκηση)", "blocked (dispute or claim)"),
}
#: How an assigned asset is held.
TENURES: dict[str, tuple[str, str]] = {
    "concession": ("παραχώρηση χρήσης", "concession of use"),
    "lease": ("μίσθωση", "lease"),
    "other": ("άλλο", "other"),
}
#: Why an asset left the register without a new use.
EXIT_REASONS: dict[str, tuple[str, str]] = {
    "merged": ("συγχωνεύτηκε", "merged"),
    "split": ("διαιρέθηκε", "split"),
    "sold": ("πωλήθηκε", "sold"),
    "naturalised": ("αποκαταστάθηκε ως φυσικός χώρος", "naturalised"),
    "removed": ("αφαιρέθηκε (εκτός ορισμού)", "removed by definition"),
}
#: Who records an event.
ROLES: dict[str, tuple[str, str]] = {
    "pipeline": ("η ανάλυση", "the pipeline"),
    "officer": ("υπάλληλος του Δήμου", "municipal officer"),
    "surveyor": ("απογραφέας", "surveyor"),
    "council": ("Δημοτικό Συμβούλιο", "municipal council"),
    "organisation": ("φορέας", "organisation"),
}
#: Statuses that come with a tenure.
TENURED = ("assigned", "in_preparation", "operating")


@dataclass(frozen=True)
class Site:
    """What the ledger keeps of an asset besides its history: its name and
    kind, where it came from (``previously_part_of``: the ids of the sites it
    was split from or merged from, ``;``-separated), its area, its geometry
    (WKB, lon/lat) and the keys decisions cite it by (ΚΑΕΚ, register id)."""

    name: str | None = None
    kind: str | None = None
    previously_part_of: str | None = None
    area_m2: float | None = None
    wkb: bytes | None = None
    parcel_code: str | None = None
    register_id: str | None = None


@dataclass(frozen=True)
class Event:
    """One step of an asset's path, as recorded.

    Attributes
    ----------
    ledger_id : str
        The asset (its id in every run: ``reg-R7``, ``osm-way-123``).
    date : str
        When it happened (YYYY-MM-DD), not when it was recorded.
    status, role : str
        Keys of :data:`STATUSES` and :data:`ROLES`.
    evidence : str, optional
        What shows it: a Diavgeia decision's ΑΔΑ, a survey submission id, a
        register row.
    tenure, term_years
        How an assignment holds the asset (:data:`TENURES`) and for how long.
    new_use, area_m2, funding, reason
        What an exit records: the new use and the area brought back into
        use with its funding, or why it left (:data:`EXIT_REASONS`).
    note : str, optional
    use : str, optional
        With an assignment and after: the use agreed (a use profile's name,
        ``social_farm``), which the plan's targets are counted against.
    """

    ledger_id: str
    date: str
    status: str
    role: str
    evidence: str | None = None
    tenure: str | None = None
    term_years: float | None = None
    new_use: str | None = None
    area_m2: float | None = None
    funding: str | None = None
    reason: str | None = None
    note: str | None = None
    use: str | None = None


def event_problems(event: Event, today: dt.date | None = None) -> list[str]:
    """Everything wrong with ``event``, each a sentence naming the field."""
    problems = []
    if event.status not in STATUSES:
        problems.append(f"status {event.status!r} is not one of {', '.join(STATUSES)}")
    if event.role not in ROLES:
        problems.append(f"role {event.role!r} is not one of {', '.join(ROLES)}")
    try:
        day = dt.date.fromisoformat(str(event.date))
        if day > (today or dt.date.today()):
            problems.append(f"date {event.date} is in the future")
    except ValueError:
        problems.append(f"date {event.date!r} is not a date (YYYY-MM-DD)")
    if event.tenure is not None and event.tenure not in TENURES:
        problems.append(f"tenure {event.tenure!r} is not one of {', '.join(TENURES)}")
    if event.tenure is not None and event.status not in TENURED:
        problems.append(f"a tenure is granted with an assignment, not with status {event.status!r}")
    if event.term_years is not None and not event.term_years > 0:
        problems.append(f"term_years {event.term_years} is not a positive number of years")
    if event.area_m2 is not None and not event.area_m2 > 0:
        problems.append(f"area_m2 {event.area_m2} is not a positive area")
    if event.reason is not None and event.reason not in EXIT_REASONS:
        problems.append(f"reason {event.reason!r} is not one of {', '.join(EXIT_REASONS)}")
    if event.status == "exited" and not (event.new_use or event.reason):
        problems.append("an exit records the new use (new_use) or why it left the register (reason)")
    if event.use is not None and event.status not in (*TENURED, "requested", "offered"):
        problems.append(f"a use is agreed with an offer, a request or an assignment, not with status {event.status!r}")
    if event.status == "available" and not event.evidence:
        problems.append("'available' is a council decision: give its evidence (e.g. the Diavgeia ΑΔΑ)")
    return problems
