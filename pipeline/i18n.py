"""Labels in English and Greek, and value formatting, from one table."""

from __future__ import annotations

import math

from . import settings

LABELS: dict[str, dict[str, str]] = {
    "rank_line": {"en": "#{rank} of {n}, score {score:.0f}/100", "el": "#{rank} από {n}, βαθμός {score:.0f}/100"},
    "strengths": {"en": "strengths", "el": "δυνατά σημεία"},
    "weakness": {"en": "weakest", "el": "αδύναμο σημείο"},
    "no_data": {"en": "no data for", "el": "χωρίς στοιχεία για"},
    "excluded": {"en": "Excluded", "el": "Αποκλείεται"},
    "kind_not": {"en": "the use needs", "el": "η χρήση απαιτεί"},
    "land": {"en": "land", "el": "γη"},
    "building": {"en": "building", "el": "κτίριο"},
    "no_use": {"en": "No use: excluded from every use", "el": "Καμία χρήση: αποκλείεται από όλες"},
    "best_use": {"en": "Best use", "el": "Καλύτερη χρήση"},
    "score": {"en": "Score", "el": "Βαθμός"},
    "asset": {"en": "Asset", "el": "Ακίνητο"},
    "sources": {"en": "Sources", "el": "Πηγές"},
    "evidence": {"en": "Why idle", "el": "Ένδειξη αδράνειας"},
    "area": {"en": "Area", "el": "Εμβαδόν"},
    "kind": {"en": "Kind", "el": "Είδος"},
    "reason": {"en": "Reason", "el": "Αιτιολόγηση"},
    "photos": {"en": "Photos", "el": "Φωτογραφίες"},
    "boundary": {"en": "Boundary", "el": "Όριο"},
    "all_assets": {"en": "All idle assets", "el": "Όλα τα αδρανή ακίνητα"},
    "roads": {"en": "Roads", "el": "Δρόμοι"},
    "landuse": {"en": "Land use", "el": "Χρήσεις γης"},
    "excluded_layer": {"en": "excluded", "el": "αποκλεισμένα"},
    "plan": {"en": "Plan: assigned uses", "el": "Σχέδιο: ανάθεση χρήσεων"},
    "legend": {"en": "Suitability score (0-100)", "el": "Βαθμός καταλληλότητας (0-100)"},
    "ownership": {"en": "Ownership", "el": "Ιδιοκτησία"},
    "confidence": {"en": "Confidence", "el": "Βεβαιότητα"},
    "conflicts": {"en": "Sources disagree on", "el": "Διαφωνία πηγών για"},
    "active_use": {"en": "In active use per OSM", "el": "Σε χρήση κατά το OSM"},
    "municipal": {"en": "municipal", "el": "δημοτική"},
    "other_public": {"en": "other public", "el": "άλλη δημόσια"},
    "private": {"en": "private", "el": "ιδιωτική"},
    "unknown": {"en": "unknown", "el": "άγνωστη"},
    "confirmed": {"en": "confirmed (a record says idle)", "el": "επιβεβαιωμένο (καταγραφή: αδρανές)"},
    "probable": {"en": "probable (strong OSM evidence)", "el": "πιθανό (ισχυρή ένδειξη OSM)"},
    "to verify": {"en": "to verify (weak evidence, unknown owner or a conflict)",
                  "el": "προς επαλήθευση (ασθενής ένδειξη, άγνωστος ιδιοκτήτης ή διαφωνία)"},
    "short_confirmed": {"en": "confirmed", "el": "επιβεβαιωμένο"},
    "short_probable": {"en": "probable", "el": "πιθανό"},
    "short_to verify": {"en": "to verify", "el": "προς επαλήθευση"},
    "strong": {"en": "strong", "el": "ισχυρή"},
    "medium": {"en": "medium", "el": "μέτρια"},
    "weak": {"en": "weak", "el": "ασθενής"},
}


def t(lang: str, key: str) -> str:
    """The label ``key`` in ``lang`` (``en`` or ``el``); the key itself if unknown."""
    return LABELS.get(key, {}).get(lang, key)


def fmt_value(value, unit: str) -> str:
    """A raw criterion value as people read it: ``1.2 ha``, ``350 m``, ``45%``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if isinstance(value, str):
        return value
    v = float(value)
    if unit == "m²":
        return f"{v / 10000:.2f} ha" if v >= 10000 else f"{v:,.0f} m²"
    if unit == "m":
        return f"{v / 1000:.1f} km" if v >= 1000 else f"{v:.0f} m"
    if unit == "0-1":
        return f"{100 * v:.0f}%"
    return f"{v:g}"


def coverage_note(coverage: float) -> str:
    """The coverage in a few words, for titles and summaries."""
    partial = " (partial)" if coverage < settings.MIN_COVERAGE else ""
    return f"OSM coverage {coverage:.0%}{partial}" if coverage >= 0.1 else f"OSM coverage {coverage:.1%}{partial}"
