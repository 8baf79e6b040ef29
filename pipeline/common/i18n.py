"""Labels in English and Greek, and value formatting, from one table.

Numbers in Greek text are written the Greek way (``2.066 m²``, ``1,3 MWh``);
values from OpenStreetMap and the survey are named in Greek through
``pipeline/common/values_el.yaml``; every value is rounded to its unit.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from pathlib import Path


from . import _yaml
from . import settings

LABELS: dict[str, dict[str, str]] = {
    # {rank} and {n} come with their thousands grouped in the language's way (i18n.number)
    "rank_line": {"en": "#{rank} of {n}, score {score}/100", "el": "#{rank} από {n}, βαθμός {score}/100"},
    "plan_label": {"en": "Plan", "el": "Σχέδιο"},
    # survey priority (pipeline/survey/priority.py)
    "prio_planned_unverified": {"en": "the plan gives it {uses} on evidence still to verify",
                                "el": "το σχέδιο του αναθέτει {uses} με στοιχεία που μένει να επαληθευτούν"},
    "prio_unrecorded": {"en": "weak evidence alone and no record: only a visit says whether it is idle at all",
                        "el": "μόνο ασθενής ένδειξη και καμία καταγραφή: μόνο η αυτοψία δείχνει αν είναι πράγματι αδρανές"},
    "prio_to_verify": {"en": "idle status or owner to verify", "el": "προς επαλήθευση η αδράνεια ή ο ιδιοκτήτης"},
    "prio_conflicts": {"en": "sources disagree on {what}", "el": "οι πηγές διαφωνούν για: {what}"},
    "prio_owner_unknown": {"en": "owner unknown", "el": "άγνωστος ιδιοκτήτης"},
    "prio_unknown": {"en": "unknown {criteria}: up to {points} points for {use}",
                     "el": "άγνωστα: {criteria}· έως {points} μονάδες για {use}"},
    "prio_stake_plan": {"en": " (could change the plan)", "el": " (μπορεί να αλλάξει το σχέδιο)"},
    "prio_stake_rank": {"en": " (could change its rank)", "el": " (μπορεί να αλλάξει τη θέση του)"},
    "prio_stake_none": {"en": "", "el": ""},
    "prio_more_uses": {"en": "and {n} more uses", "el": "και {n} ακόμη χρήσεις"},
    # the survey route and field sheet (pipeline/publish/fieldwork.py)
    "route_back": {"en": "back to the start", "el": "επιστροφή στην αφετηρία"},
    "route_start": {"en": "start", "el": "αφετηρία"},
    "photo_numbers": {"en": "photo numbers", "el": "αριθμοί φωτογραφιών"},
    "position": {"en": "Position (lat, lon)", "el": "Θέση (πλάτος, μήκος)"},
    "why_visit": {"en": "Why visit", "el": "Γιατί αυτοψία"},
    "route_leg": {"en": "From the previous stop", "el": "Από την προηγούμενη στάση"},
    "route_from_road": {"en": "from the road:", "el": "από τον δρόμο:"},
    "field_sheet": {"en": "field sheet", "el": "φύλλο αυτοψίας"},
    "stops": {"en": "stops", "el": "στάσεις"},
    "route_note": {"en": "round trip on the mapped roads; one-way streets not considered",
                   "el": "κυκλική διαδρομή στο χαρτογραφημένο οδικό δίκτυο· δεν λαμβάνονται υπόψη οι μονόδρομοι"},
    # what changed since the last run (pipeline/common/changes.py): one sentence per change, a word per kind
    "change_added": {"en": "new in the inventory", "el": "νέο στην απογραφή"},
    "change_dropped": {"en": "no longer in the inventory", "el": "δεν είναι πια στην απογραφή"},
    "change_plan_assigned": {"en": "the plan now gives it {use}", "el": "το σχέδιο του αναθέτει τώρα {use}"},
    "change_plan_unassigned": {"en": "the plan no longer gives it {use}", "el": "το σχέδιο δεν του αναθέτει πια {use}"},
    "change_confidence": {"en": "{what}: {a} → {b}", "el": "{what}: {a} → {b}"},
    "change_rises": {"en": "confidence rises", "el": "η βεβαιότητα αυξάνεται"},
    "change_falls": {"en": "confidence falls", "el": "η βεβαιότητα μειώνεται"},
    "change_ownership": {"en": "{what}: {a} → {b}", "el": "{what}: {a} → {b}"},
    "change_occupancy": {"en": "{what}: {a} → {b}", "el": "{what}: {a} → {b}"},
    "change_condition": {"en": "{what}: {a} → {b}", "el": "{what}: {a} → {b}"},
    "change_what_confidence": {"en": "confidence", "el": "βεβαιότητα"},
    "change_what_ownership": {"en": "ownership", "el": "ιδιοκτησία"},
    "change_what_occupancy": {"en": "occupancy (survey)", "el": "χρήση (αυτοψία)"},
    "change_what_condition": {"en": "condition (survey)", "el": "κατάσταση (αυτοψία)"},
    "change_none": {"en": "not recorded", "el": "δεν έχει καταγραφεί"},
    "change_eligible": {"en": "now eligible for {use}", "el": "πλέον κατάλληλο για {use}"},
    "change_excluded": {"en": "now excluded from {use}", "el": "πλέον αποκλείεται από {use}"},
    "change_score": {"en": "{use}: score {a} → {b} ({d})", "el": "{use}: βαθμός {a} → {b} ({d})"},
    "change_rank": {"en": "{use}: rank {a} → {b}", "el": "{use}: θέση {a} → {b}"},
    "change_nothing": {"en": "nothing changed", "el": "καμία αλλαγή"},
    "change_first": {"en": "no earlier run in this folder to compare with", "el": "δεν υπάρχει προηγούμενη εκτέλεση για σύγκριση"},
    "kind_added": {"en": "added", "el": "νέα"}, "kind_dropped": {"en": "dropped", "el": "αφαιρέθηκαν"},
    "kind_plan_assigned": {"en": "assigned in the plan", "el": "αναθέσεις"},
    "kind_plan_unassigned": {"en": "no longer assigned", "el": "άρσεις ανάθεσης"},
    "kind_confidence": {"en": "confidence", "el": "βεβαιότητα"}, "kind_ownership": {"en": "ownership", "el": "ιδιοκτησία"},
    "kind_occupancy": {"en": "occupancy", "el": "χρήση"}, "kind_condition": {"en": "condition", "el": "κατάσταση"},
    "kind_eligible": {"en": "newly eligible", "el": "νέες καταλληλότητες"},
    "kind_excluded": {"en": "newly excluded", "el": "νέοι αποκλεισμοί"},
    "kind_score": {"en": "score", "el": "βαθμοί"}, "kind_rank": {"en": "rank", "el": "θέσεις"},
    "prio_nothing": {"en": "nothing unknown or in doubt: a visit is not needed for the plan",
                     "el": "τίποτα άγνωστο ή αμφίβολο: δεν χρειάζεται αυτοψία για το σχέδιο"},
    "stability_line": {"en": "In the top {k} in {p}% of random weightings; rank {a} to {b} in 90% of them; "
                             "rank {t} by TOPSIS.",
                       "el": "Στις {k} πρώτες θέσεις στο {p}% των τυχαίων σταθμίσεων· θέση {a} έως {b} στο 90% "
                             "αυτών· θέση {t} κατά TOPSIS."},
    "view_assets": {"en": "Show the idle assets", "el": "Εμφάνιση των αδρανών ακινήτων"},
    "view_whole": {"en": "Show the whole municipality", "el": "Εμφάνιση όλου του δήμου"},
    "usable": {"en": "usable", "el": "αξιοποιήσιμα"},
    "cultivable": {"en": "cultivable", "el": "καλλιεργήσιμα"},
    "about_jobs": {"en": "about {jobs} jobs", "el": "περίπου {jobs} θέσεις εργασίας"},
    "few_jobs": {"en": "less than 0.1 jobs", "el": "λιγότερο από 0,1 θέσεις εργασίας"},
    "candidates": {"en": "Candidates", "el": "Υποψήφιοι φορείς"},
    "no_candidates": {"en": "no organisation from the open call yet",
                      "el": "κανένας φορέας από την ανοιχτή πρόσκληση ακόμη"},
    # the reason sentence's parts: pipeline/score.py and the map's script both fill these
    "reason_part": {"en": "{label} {value} (+{points}/{max})", "el": "{label} {value} (+{points}/{max})"},
    # Greek separates clauses with the ano teleia (·): its ";" is the question mark
    "reason_clause": {"en": "; {head}: {items}", "el": "· {head}: {items}"},
    "reason_list": {"en": ", ", "el": ", "},
    "excluded_line": {"en": "Excluded: {rules}", "el": "Αποκλείεται: {rules}"},
    "rule_list": {"en": "; ", "el": "· "},
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
    "plan_status": {"en": "Step in the plan", "el": "Βήμα στο σχέδιο"},
    "plan_path": {"en": "Path so far", "el": "Πορεία ως τώρα"},
    "take_part": {"en": "Take part", "el": "Συμμετοχή"},
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
    # the map page's controls (pipeline/publish/static/)
    "id": {"en": "Id", "el": "Κωδικός"},
    "condition_occupancy": {"en": "Condition / occupancy (survey)", "el": "Κατάσταση / χρήση (αυτοψία)"},
    "survey_notes": {"en": "Survey notes", "el": "Σημειώσεις αυτοψίας"},
    "photo": {"en": "photo", "el": "φωτογραφία"},
    "legal_route": {"en": "Legal route", "el": "Νομική οδός"},
    "layers": {"en": "Layers", "el": "Επίπεδα"},
    "group_uses": {"en": "Suitability per use", "el": "Καταλληλότητα ανά χρήση"},
    "group_plan": {"en": "Inventory and plan", "el": "Απογραφή και σχέδιο"},
    "group_context": {"en": "Context", "el": "Υπόβαθρο"},
    "language": {"en": "Language", "el": "Γλώσσα"},
    "lang_both": {"en": "both", "el": "και τα δύο"},
    "search": {"en": "Search name or id", "el": "Αναζήτηση ονόματος ή κωδικού"},
    "ranked": {"en": "Ranked list", "el": "Κατάταξη"},
    "ranked_none": {"en": "Switch on a use to list its sites by rank", "el": "Ενεργοποιήστε μια χρήση για να δείτε τα ακίνητά της κατά σειρά"},
    "download": {"en": "Download the layers shown", "el": "Λήψη των επιπέδων που εμφανίζονται"},
    "download_nothing": {"en": "No layer with sites is shown", "el": "Δεν εμφανίζεται επίπεδο με ακίνητα"},
    "print": {"en": "Print", "el": "Εκτύπωση"},
    "locate": {"en": "Show me where I am", "el": "Η θέση μου"},
    "locate_popup": {"en": "You are within {distance} {unit} of this point", "el": "Βρίσκεστε σε απόσταση {distance} {unit} από αυτό το σημείο"},
    "locate_error": {"en": "Your position is not available", "el": "Η θέση σας δεν είναι διαθέσιμη"},
    "metres": {"en": "metres", "el": "μέτρα"},
    "link_here": {"en": "Link to this site", "el": "Σύνδεσμος σε αυτό το ακίνητο"},
    "score_for": {"en": "Suitability score (0-100) for: {uses}", "el": "Βαθμός καταλληλότητας (0-100) για: {uses}"},
    "no_eligible": {"en": "No site is eligible for {use}: the commonest reason is \u201c{rule}\u201d ({n} of {total} sites)",
                    "el": "Κανένα ακίνητο δεν είναι κατάλληλο για {use}: ο συχνότερος λόγος είναι «{rule}» ({n} από {total})"},
    "no_sites": {"en": "No idle site was found in this area", "el": "Δεν βρέθηκε αδρανές ακίνητο σε αυτή την περιοχή"},
    "tiles_offline": {"en": "No basemap (offline): the roads and land use from the data are shown instead",
                      "el": "Χωρίς υπόβαθρο (εκτός σύνδεσης): εμφανίζονται οι δρόμοι και οι χρήσεις γης των δεδομένων"},
    "zoom_in": {"en": "Zoom in", "el": "Μεγέθυνση"},
    "cancel": {"en": "Cancel", "el": "Ακύρωση"},
    "search_button": {"en": "Search", "el": "Αναζήτηση"},
    "not_found": {"en": "Not found", "el": "Δεν βρέθηκε"},
    "zoom_out": {"en": "Zoom out", "el": "Σμίκρυνση"},
    "fullscreen": {"en": "Full screen", "el": "Πλήρης οθόνη"},
    "fullscreen_exit": {"en": "Exit full screen", "el": "Έξοδος από την πλήρη οθόνη"},
    "minimap_hide": {"en": "Hide the overview map", "el": "Απόκρυψη του χάρτη προσανατολισμού"},
    "minimap_show": {"en": "Show the overview map", "el": "Εμφάνιση του χάρτη προσανατολισμού"},
    "col_layer": {"en": "Layer", "el": "Επίπεδο"},
    "col_use": {"en": "Use", "el": "Χρήση"},
    "col_rank": {"en": "Rank", "el": "Σειρά"},
}


#: The measuring tool's texts (leaflet-measure 2.1.7 has no Greek): the map's script puts these in their place.
MEASURE_EL: dict[str, str] = {
    "Measure": "Μέτρηση", "Measure distances and areas": "Μέτρηση αποστάσεων και εμβαδών",
    "Create a new measurement": "Νέα μέτρηση",
    "Start creating a measurement by adding points to the map": "Ξεκινήστε τη μέτρηση προσθέτοντας σημεία στον χάρτη",
    "Finish measurement": "Τέλος μέτρησης", "Last point": "Τελευταίο σημείο", "Area": "Εμβαδόν", "Perimeter": "Περίμετρος",
    "Point location": "Θέση σημείου", "Area measurement": "Μέτρηση εμβαδού", "Linear measurement": "Μέτρηση μήκους",
    "Path distance": "Μήκος διαδρομής", "Centre on this area": "Κεντράρισμα στο εμβαδόν",
    "Centre on this line": "Κεντράρισμα στη γραμμή", "Center on this area": "Κεντράρισμα στο εμβαδόν",
    "Center on this line": "Κεντράρισμα στη γραμμή", "Center on this location": "Κεντράρισμα στη θέση",
    "Centre on this location": "Κεντράρισμα στη θέση", "Cancel": "Ακύρωση", "Delete": "Διαγραφή",
    "Hectares": "Εκτάρια", "Meters": "Μέτρα", "Kilometers": "Χιλιόμετρα", "Kilometres": "Χιλιόμετρα",
    "Sq Meters": "Τετραγωνικά μέτρα",
}


#: The legal forms an organisation can have, by the code the organisations'
#: reader gives them: short and full names in Greek and English, with the law.
LEGAL_FORMS: dict[str, dict[str, str]] = {
    "koinsep": {"el": "ΚοινΣΕπ", "en": "KoinSEp",
                "el_full": "Κοινωνική Συνεταιριστική Επιχείρηση (ΚοινΣΕπ, ν. 4430/2016)",
                "en_full": "Social co-operative enterprise (KoinSEp, law 4430/2016)"},
    "workers_coop": {"el": "Συνεταιρισμός Εργαζομένων", "en": "Workers' co-operative",
                     "el_full": "Συνεταιρισμός Εργαζομένων (ν. 4430/2016)",
                     "en_full": "Workers' co-operative (law 4430/2016)"},
    "energy_community": {"el": "Ενεργειακή Κοινότητα", "en": "Energy community",
                         "el_full": "Ενεργειακή Κοινότητα (ν. 5037/2023· ν. 4513/2018 για όσες συστάθηκαν πριν "
                                    "τον Απρίλιο 2023)",
                         "en_full": "Energy community (law 5037/2023; law 4513/2018 for those formed before "
                                    "April 2023)"},
    "agricultural_coop": {"el": "Αγροτικός Συνεταιρισμός", "en": "Agricultural co-operative",
                          "el_full": "Αγροτικός Συνεταιρισμός (ν. 4384/2016)",
                          "en_full": "Agricultural co-operative (law 4384/2016)"},
    "association": {"el": "Σύλλογος / ΑΜΚΕ", "en": "Association / non-profit",
                    "el_full": "Σύλλογος ή Αστική Μη Κερδοσκοπική Εταιρεία (ΑΜΚΕ)",
                    "en_full": "Association or non-profit civil company (AMKE)"},
    "municipal_company": {"el": "Δημοτική Επιχείρηση", "en": "Municipal company",
                          "el_full": "Δημοτική Επιχείρηση (ν. 3463/2006)", "en_full": "Municipal company (law 3463/2006)"},
    "koispe": {"el": "ΚοιΣΠΕ", "en": "KoiSPE",
               "el_full": "Κοινωνικός Συνεταιρισμός Περιορισμένης Ευθύνης (ΚοιΣΠΕ, ν. 4019/2011 και 4430/2016)",
               "en_full": "Limited-liability social co-operative for people with mental health problems (KoiSPE, "
                          "laws 4019/2011 and 4430/2016)"},
    "informal_group": {"el": "Ομάδα υπό σύσταση", "en": "Group not yet formed",
                       "el_full": "Ομάδα πολιτών υπό σύσταση (χωρίς νομική μορφή ακόμη)",
                       "en_full": "Group of citizens not yet formed (no legal form yet)"},
}


#: Greek headers of the published tables' columns (the XLSX prints them above
#: the English ones); a column missing here keeps its English name.
COLUMNS_EL: dict[str, str] = {
    "asset_id": "κωδικός ακινήτου", "name": "όνομα", "kind": "είδος", "use": "χρήση", "best_use": "καλύτερη χρήση",
    "score": "βαθμός", "rank": "σειρά", "rank_in_use": "σειρά στη χρήση", "runner_up": "δεύτερη χρήση",
    "runner_up_score": "βαθμός δεύτερης χρήσης", "reason_en": "αιτιολόγηση (αγγλικά)", "reason_el": "αιτιολόγηση",
    "attribution": "πηγές δεδομένων", "ownership": "ιδιοκτησία", "ownership_evidence": "τεκμήριο ιδιοκτησίας",
    "confidence": "βεβαιότητα", "usable_area_m2": "αξιοποιήσιμο εμβαδόν (m²)", "kwp": "ισχύς (kWp)",
    "mwh_per_year": "παραγωγή (MWh/έτος)", "cultivable_m2": "καλλιεργήσιμο εμβαδόν (m²)", "jobs": "θέσεις εργασίας",
    "topic_el": "θέμα (ελληνικά)", "coefficient_el": "συντελεστής (ελληνικά)", "source_el": "πηγή (ελληνικά)",
    "candidate_organisations": "υποψήφιοι φορείς", "candidate_organisations_el": "υποψήφιοι φορείς (ελληνικά)",
    "candidate_organisations_en": "υποψήφιοι φορείς (αγγλικά)", "candidate_legal_forms": "νομικές μορφές φορέων",
    "n_candidates": "πλήθος φορέων", "note_en": "σημείωση (αγγλικά)", "note_el": "σημείωση", "sites": "ακίνητα",
    "usable_ha": "αξιοποιήσιμα (ha)", "cultivable_ha": "καλλιεργήσιμα (ha)", "target": "στόχος", "uses": "χρήσεις",
    "unit": "μονάδα", "target_value": "τιμή στόχου", "reached": "επίτευξη", "unmet": "υπολείπεται",
    "area_m2": "εμβαδόν (m²)", "sources": "πηγές", "idle_evidence": "ένδειξη αδράνειας",
    "evidence_strength": "ισχύς ένδειξης", "conflicts": "διαφωνίες πηγών", "parcel_code": "ΚΑΕΚ",
    "condition": "κατάσταση", "occupancy": "χρήση (αυτοψία)", "criterion": "κριτήριο", "weight": "βάρος",
    "function": "συνάρτηση αξίας", "topic": "θέμα", "coefficient": "συντελεστής", "value": "τιμή", "source": "πηγή",
    "label_en": "όνομα (αγγλικά)", "label_el": "όνομα", "direction": "κατεύθυνση", "needs": "απαιτεί",
    "attribute": "θέμα", "other_source": "άλλη πηγή", "other_value": "τιμή άλλης πηγής", "best_score": "βαθμός",
    "source and licence": "πηγή και άδεια", "p_top_k": "πιθανότητα στις πρώτες", "rank_topsis": "σειρά TOPSIS",
    "label": "ονομασία", "action": "τι έγινε", "count": "πλήθος", "detail": "λεπτομέρειες", "osm_ref": "αναφορά OSM", "register_id": "κωδικός μητρώου", "owner": "ιδιοκτήτης", "landuse": "χρήση γης (OSM)",
    "building": "κτίριο (OSM)", "geometry_source": "προέλευση γεωμετρίας", "survey_ids": "κωδικοί αυτοψίας",
    "access": "πρόσβαση", "ownership_sign": "σήμανση ιδιοκτησίας", "roof": "στέγη", "water": "νερό", "soil": "έδαφος",
    "photos": "φωτογραφίες", "survey_notes": "σημειώσεις αυτοψίας", "active_use": "ενεργή χρήση",
    "rank_p05": "σειρά (5ο εκατοστημόριο)", "rank_p95": "σειρά (95ο εκατοστημόριο)", "weights_from": "προέλευση βαρών",
    "ahp_consistency_ratio": "λόγος συνέπειας AHP", "missing_value": "τιμή όταν λείπει",
    "target_el": "στόχος (ελληνικά)", "legal_rule": "κανόνας νομικής οδού", "legal_route_el": "νομική οδός", "legal_route_en": "νομική οδός (αγγλικά)",
    "legal_basis_el": "νομική βάση", "legal_basis_en": "νομική βάση (αγγλικά)", "legal_sources": "πηγές νομικής οδού",
    "legal_warning_el": "προσοχή (προϋποθέσεις)", "legal_warning_en": "προσοχή (αγγλικά)",
}


def legal_form_name(code: str | None, lang: str, full: bool = False) -> str:
    """The name of a legal form code in ``lang`` (with its law when ``full``);
    an unknown code as it is, none as ""."""
    if not code:
        return ""
    names = LEGAL_FORMS.get(code)
    return names[f"{lang}_full" if full else lang] if names else code


def t(lang: str, key: str) -> str:
    """The label ``key`` in ``lang`` (``en`` or ``el``); the key itself if unknown."""
    return LABELS.get(key, {}).get(lang, key)


@lru_cache(maxsize=1)
def greek_names() -> dict[str, dict[str, str]]:
    """The Greek names of values, by field (``landuse``, ``condition``,
    ``occupancy``, ``units``), from ``pipeline/common/values_el.yaml``."""
    return _yaml.load((Path(__file__).parent / "values_el.yaml").read_text(encoding="utf-8"))


_CLAIM = re.compile(r"^(?:(osm|register|survey|parcels|reports) )?([a-z_:]+)=(.+)$")
#: The keys of idle evidence (``register status=κενό``) in Greek.
CLAIM_KEYS_EL = {"status": "κατάσταση", "occupancy": "χρήση", "landuse": "χρήση γης", "building": "κτίριο",
                 "disused": "εκτός χρήσης", "abandoned": "εγκαταλελειμμένο", "amenity": "εγκατάσταση",
                 "condition": "κατάσταση", "shop": "κατάστημα", "leisure": "αναψυχή", "office": "γραφείο",
                 "tourism": "τουρισμός", "craft": "βιοτεχνία", "sport": "άθλημα", "healthcare": "υγεία",
                 "note": "σημείωση", "description": "περιγραφή", "fixme": "προς διόρθωση", "end_date": "έληξε",
                 "was": "πρώην", "roof": "στέγη", "shape": "σχήμα", "urban_atlas": "Urban Atlas"}
_URBAN_ATLAS = re.compile(r"^Urban Atlas (\d{4}) class (\d{5})(?: \((.*)\))?$")


def idle_evidence_text(text, lang: str) -> str:
    """The inventory's idle evidence (``register status=κενό | survey occupancy=vacant``) for people:
    in Greek ``μητρώο ακινήτων: κατάσταση κενό | αυτοψία: χρήση άδειο``; other phrases through
    :func:`evidence_text`."""
    if not isinstance(text, str) or not text:
        return ""
    if lang != "el":
        return text
    out = []
    for piece in text.split(" | "):
        match = _CLAIM.match(piece.strip())
        ua = _URBAN_ATLAS.match(piece.strip())
        if ua:
            year, code, name = ua.groups()
            greek = value_name(code, "el", "urban_atlas")
            out.append(f"Urban Atlas {year}, κατηγορία {code}" + (f" ({greek})" if greek != code else ""))
            continue
        if match is None:
            out.append(evidence_text(piece, "el"))
            continue
        source, key, value = match.groups()
        where = f"{value_name(source, 'el', 'sources')}, " if source else ""
        out.append(f"{where}{_claim_el(key, value)}")
    return " | ".join(out)


def _claim_el(key: str, value: str) -> str:
    """A tag or answer ``key=value`` in Greek words: ``disused:amenity=school`` → ``εγκατάσταση (εκτός χρήσης): σχολείο``."""
    life, _, base = key.rpartition(":")
    said = CLAIM_KEYS_EL.get(base, base) + (f" ({CLAIM_KEYS_EL.get(life, life)})" if life else "")
    field = base if base in greek_names() else None
    return f"{said}: {value_name(value, 'el', field)}"


#: OpenStreetMap's element types in Greek.
OSM_ELEMENTS_EL = {"node": "κόμβος", "way": "γραμμή", "relation": "σχέση"}
_ELEMENT = re.compile(r"^(node|way|relation)/(\d+) (.+)$")
_TAGGED = re.compile(r"^tagged (.+)$")
_COVERED = re.compile(r"^(\d+%) covered by (.+)$")


def active_use_text(text, lang: str) -> str:
    """The active-use guard's finding (``tagged amenity=school``, ``64% covered by shop=bakery``) in
    ``lang``: in Greek ``ετικέτα OSM εγκατάσταση: σχολείο``, ``καλύπτεται κατά 64% από ...``."""
    if not isinstance(text, str) or not text:
        return ""
    if lang != "el":
        return text

    def tag(piece: str) -> str:
        element = _ELEMENT.match(piece)  # "way/48087305 amenity=school": the covering OSM feature first
        if element:
            kind, number, piece = element.groups()
            return f"OSM {OSM_ELEMENTS_EL[kind]} {number}, {tag(piece)}"
        return _claim_el(*piece.split("=", 1)) if "=" in piece else value_name(piece, "el")

    def tags(part: str) -> str:
        return ", ".join(tag(p.strip()) for p in re.split(r"[;,]", part) if p.strip())

    tagged, covered = _TAGGED.match(text), _COVERED.match(text)
    if tagged:
        return f"ετικέτα OSM {tags(tagged.group(1))}"
    if covered:
        return f"καλύπτεται κατά {covered.group(1)} από {tags(covered.group(2))}"
    return text


_OSM_REF = re.compile(r"^osm (node|way|relation)/(\d+)$")


def source_name(value, lang: str) -> str:
    """A source as a conflict names it (``register``, ``osm way/123``, ``osm (active use)``, ``register;survey``) in ``lang``."""
    if not isinstance(value, str) or not value:
        return ""
    ref = _OSM_REF.match(value)
    if ref and lang == "el":
        return f"OSM {OSM_ELEMENTS_EL[ref.group(1)]} {ref.group(2)}"
    return sources_text(value, lang) if not ref else value


def claim_text(value, lang: str) -> str:
    """What a source says in a conflict (idle evidence, an active use, an owner, a kind) in ``lang``."""
    if not isinstance(value, str) or not value or lang != "el":
        return value if isinstance(value, str) else ""
    if _TAGGED.match(value) or _COVERED.match(value):
        return active_use_text(value, lang)
    if "=" in value:
        return idle_evidence_text(value, lang)
    if value in LABELS:
        return LABELS[value]["el"]
    return evidence_text(value, lang)


def conflicts_text(text, lang: str) -> str:
    """The attributes sources disagree on (``ownership, status``) in ``lang``."""
    if not isinstance(text, str) or not text:
        return ""
    return ", ".join(value_name(p.strip(), lang, "conflict") for p in text.split(","))


def sources_text(value, lang: str) -> str:
    """An inventory's ``sources`` (``register;survey``) in words: ``μητρώο ακινήτων + αυτοψία`` /
    ``register + survey``; nothing for none."""
    if not isinstance(value, str) or not value:
        return ""
    return " + ".join(value_name(s, lang, "sources") for s in value.split(";") if s)


def value_name(value: str, lang: str, field: str | None = None) -> str:
    """``value`` (an OSM tag value or a survey answer) as ``lang`` names it:
    in Greek through the table of ``field`` (any field when not given), else
    as it is."""
    if lang != "el":
        return value
    table = greek_names()
    fields = [field] if field in table else [f for f in table if f not in ("units", "evidence")]
    for f in fields:
        if value in table[f]:
            return table[f][value]
    return value


def evidence_text(text: str | None, lang: str) -> str:
    """The ownership evidence (``register: Δήμος Βόλου``) in ``lang``."""
    text = text or ""
    if lang == "el":
        for en, el in greek_names()["evidence"].items():
            text = text.replace(en, el)
    return text


#: Decimals each unit is printed with (anything else: three significant digits).
DECIMALS = {"m": 0, "km": 1, "m²": 0, "ha": 2, "%": 0, "count": 0, "°": 1, "MWh/year": 1, "kWh/m²": 0,
            "kWp": 0}


def number(value: float, decimals: int, lang: str = "en") -> str:
    """``value`` with ``decimals`` decimals and grouped thousands: ``2,066.5``
    in English, ``2.066,5`` in Greek."""
    text = f"{value:,.{decimals}f}"
    return text.translate(_GREEK_MARKS) if lang == "el" else text


_GREEK_MARKS = str.maketrans(",.", ".,")


def _significant(value: float, lang: str) -> str:
    text = f"{value:.3g}"
    if "e" in text:  # very large or small: plain digits instead
        text = f"{value:.{max(0, 2 - int(math.floor(math.log10(abs(value)))))}f}"
    return text.replace(".", ",") if lang == "el" else text


def fmt_value(value, unit: str, lang: str = "en", field: str | None = None) -> str:
    """A raw criterion value as people read it, in ``lang``: ``1.2 ha`` /
    ``1,2 ha``, ``350 m``, ``45%``, ``1.3°``; a class (``orchard``) named in
    Greek for ``el`` (``field`` says whose values it is, e.g. ``landuse``)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a" if lang == "en" else "δ/υ"
    if isinstance(value, str):
        return value_name(value, lang, field)
    v = float(value)
    if unit == "m²":
        return f"{number(v / 10000, DECIMALS['ha'], lang)} ha" if v >= 10000 else f"{number(v, 0, lang)} m²"
    if unit == "m":
        return f"{number(v / 1000, DECIMALS['km'], lang)} km" if v >= 1000 else f"{number(v, 0, lang)} m"
    if unit == "0-1":
        return f"{number(100 * v, DECIMALS['%'], lang)}%"
    if unit == "°":
        return f"{number(v, DECIMALS['°'], lang)}°"
    if unit in DECIMALS:
        shown = greek_names()["units"].get(unit, unit) if lang == "el" else unit
        text = number(v, DECIMALS[unit], lang)
        return f"{text} {shown}".strip() if shown and unit != "count" else text
    return _significant(v, lang)


def coverage_figure(coverage: float) -> str:
    """A coverage as every command and output prints it: ``0.7%``, ``12%``."""
    return f"{coverage:.0%}" if coverage >= 0.1 else f"{coverage:.1%}"


def coverage_note(coverage: float, basis: str = "declared", lang: str = "en") -> str:
    """The coverage in a few words, for titles and summaries, in ``lang``;
    ``basis`` says what it was measured from (see :func:`pipeline.transform.osm_coverage`)."""
    figure = coverage_figure(coverage)
    if lang == "el":
        partial = " (μερική)" if coverage < settings.MIN_COVERAGE else ""
        how = (" (μετρημένη από τους κόμβους του: το απόσπασμα δεν δηλώνει όρια)" if basis == "nodes" else "")
        return f"κάλυψη OSM {figure.replace('.', ',')}{partial}{how}"
    partial = " (partial)" if coverage < settings.MIN_COVERAGE else ""
    how = " (measured from its nodes on no way: the extract declares no bounds)" if basis == "nodes" else ""
    return f"OSM coverage {figure}{partial}{how}"

def districts_note(parts, lang: str = "en") -> str:
    """How completely OSM maps the buildings per district (``[(name, Completeness), ...]``):
    ``by district, buildings mapped on: Νέα Ιωνία 95%, Αγριά 40% (few)``; "" without districts."""
    if not parts:
        return ""
    few = " (λίγα)" if lang == "el" else " (few)"
    shown = []
    for name, c in parts:
        if c is None:
            shown.append(f"{name} " + ("χωρίς δομημένη γη στο OSM" if lang == "el" else "no built-up land in OSM"))
            continue
        share = coverage_figure(c.built_share)
        shown.append(f"{name} {share.replace('.', ',') if lang == 'el' else share}{'' if c.well_mapped else few}")
    head = "ανά διαμέρισμα, κτίρια χαρτογραφημένα: " if lang == "el" else "by district, buildings mapped on: "
    return head + ", ".join(shown)


def completeness_text(whole, parts, lang: str = "en") -> str:
    """:func:`completeness_note` of the whole, then :func:`districts_note`, in ``lang``."""
    return ("· " if lang == "el" else "; ").join(x for x in (completeness_note(whole, lang), districts_note(parts, lang)) if x)


def completeness_note(completeness, lang: str = "en") -> str:
    """How completely OSM maps the buildings (:class:`pipeline.transform.completeness.Completeness`),
    in a few words, with what it means for the inventory where they are few; "" when not measured."""
    if completeness is None:
        return ""
    share = coverage_figure(completeness.built_share)
    density = completeness.per_km2
    if lang == "el":
        text = f"κτίρια χαρτογραφημένα στο {share.replace('.', ',')} της δομημένης γης"
        if density is not None:
            text += f" ({number(density, 0, 'el')} ανά km² οικιστικής γης)"
        return text if completeness.well_mapped else (
            text + ": το OSM χαρτογραφεί λίγα κτίρια εδώ, ένας άδειος χάρτης δεν σημαίνει ότι τίποτα δεν είναι αδρανές")
    text = f"buildings mapped on {share} of built-up land"
    if density is not None:
        text += f" ({number(density, 0)} per km² of residential land)"
    return text if completeness.well_mapped else (
        text + ": OSM maps few buildings here, so an empty map is not evidence that nothing is idle")
