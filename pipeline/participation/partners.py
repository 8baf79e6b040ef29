"""Partners near each site (asked for by Clean & Green Philly's users,
issue #1083): the community facilities within walking distance, from
OpenStreetMap (schools, libraries, community and social centres, markets,
places of worship that run social services), and the open call's
organisations within the same distance. A pure function of the inventory,
the OSM points of interest and the organisations; no I/O."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..common import settings

#: The facilities that make partners, by OSM tag, with their names in Greek and English.
FACILITIES: dict[tuple[str, str], tuple[str, str]] = {
    ("amenity", "school"): ("σχολείο", "school"),
    ("amenity", "kindergarten"): ("νηπιαγωγείο", "kindergarten"),
    ("amenity", "childcare"): ("παιδικός σταθμός", "childcare"),
    ("amenity", "library"): ("βιβλιοθήκη", "library"),
    ("amenity", "community_centre"): ("κέντρο κοινότητας", "community centre"),
    ("amenity", "social_centre"): ("κοινωνικό κέντρο", "social centre"),
    ("amenity", "social_facility"): ("κοινωνική δομή", "social facility"),
    ("amenity", "marketplace"): ("λαϊκή αγορά", "marketplace"),
    ("amenity", "townhall"): ("δημαρχείο / ΚΑΠΗ", "town hall"),
    ("amenity", "place_of_worship"): ("ναός (κοινωνική διακονία)", "place of worship (social services)"),
    ("amenity", "arts_centre"): ("πολιτιστικό κέντρο", "arts centre"),
    ("amenity", "university"): ("πανεπιστήμιο", "university"),
    ("amenity", "college"): ("σχολή", "college"),
    ("leisure", "sports_centre"): ("αθλητικό κέντρο", "sports centre"),
}
COLUMNS = ["asset_id", "partner", "kind_el", "kind_en", "distance_m", "source"]


def facility_kind(tags: dict | None) -> tuple[str, str] | None:
    """The facility a feature's tags make it, or None."""
    if not tags:
        return None
    return next((label for (key, value), label in FACILITIES.items() if tags.get(key) == value), None)


def partners_nearby(inventory: gpd.GeoDataFrame, pois: gpd.GeoDataFrame | None, organisations: gpd.GeoDataFrame | None,
                    distance: float = settings.PARTNER_WALK_M, limit: int = settings.PARTNERS_SHOWN) -> pd.DataFrame:
    """Per asset, the facilities and organisations within ``distance``
    metres, nearest first, at most ``limit`` each (all in the inventory's CRS)."""
    candidates = []
    if pois is not None and len(pois):
        kinds = pois["tags"].map(facility_kind)
        mine = pois[kinds.notna()]
        names = mine["name"].where(mine["name"].notna(), None)
        candidates.append(gpd.GeoDataFrame({
            "partner": [n if isinstance(n, str) and n else f"{k[0]} ({r})" for n, k, r in
                        zip(names, kinds[kinds.notna()], mine["osm_ref"])],
            "kind_el": [k[0] for k in kinds[kinds.notna()]], "kind_en": [k[1] for k in kinds[kinds.notna()]],
            "source": "OpenStreetMap"}, geometry=mine.geometry.to_numpy(), crs=pois.crs))
    if organisations is not None and len(organisations):
        located = organisations[organisations.geometry.notna()]
        candidates.append(gpd.GeoDataFrame({"partner": located["name"].to_numpy(), "kind_el": "φορέας (πρόσκληση)",
                                            "kind_en": "organisation (open call)", "source": "open call"},
                                           geometry=located.geometry.to_numpy(), crs=located.crs))
    if not candidates or inventory.empty:
        return pd.DataFrame(columns=COLUMNS)
    found = pd.concat([c.to_crs(inventory.crs) for c in candidates], ignore_index=True)
    sites, places = inventory.geometry.to_numpy(), found.geometry.to_numpy()
    a, p = shapely.STRtree(places).query(sites, predicate="dwithin", distance=distance)
    if len(a) == 0:
        return pd.DataFrame(columns=COLUMNS)
    table = pd.DataFrame({"asset_id": inventory["asset_id"].to_numpy()[a], "partner": found["partner"].to_numpy()[p],
                          "kind_el": found["kind_el"].to_numpy()[p], "kind_en": found["kind_en"].to_numpy()[p],
                          "distance_m": np.round(shapely.distance(sites[a], places[p]), -1),
                          "source": found["source"].to_numpy()[p]})
    table = table.sort_values(["asset_id", "source", "distance_m", "partner"], kind="stable")
    return table.groupby(["asset_id", "source"], sort=False).head(limit).reset_index(drop=True)[COLUMNS]
