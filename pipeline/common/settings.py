"""Project-wide settings and constants.

Every value used by more than one module lives here, documented.

DEFAULT_CRS_GREECE : str
    ``"EPSG:2100"`` (GGRS87 / Greek Grid): the metric CRS every Greek project
    works in. Projects elsewhere give ``crs: auto`` and get a UTM zone.
WGS84 : str
    ``"EPSG:4326"``, the CRS of web maps and of coordinates typed by people.
POLYGONAL : frozenset[str]
    Geometry types that are areas (sites, footprints, zones).
(What counts as idle, with the strength of each signal, land in active use
and ownership words, is one table of its own: ``pipeline/common/evidence.yaml``.)
DEFAULT_CACHE_DIR : str
    Where downloads (Overpass, WFS) and clipped extracts are cached, relative
    to the folder the pipeline runs in, unless a source sets ``cache_dir``.
OSM_ATTRIBUTION : str
    Attribution required by the ODbL on every map and table built from OSM.
POINT_ASSET_RADIUS_M : float
    Radius of the circle that stands for a register entry or survey point
    given by coordinates outside any mapped footprint and without an area
    (``geometry_source="point buffer"``). An OSM-tagged point never becomes a
    circle: it claims the building, land-use area or parcel it stands in, or
    is listed "to locate".
POINT_HOST_MAX_AREA_M2 : float
    A tagged point outside any building claims the land-use area it stands in
    only when that area is at most this large: a vacant-shop node in a whole
    retail district does not make the district idle.
SURVEY_ATTACH_DISTANCE_M : float
    Default distance within which a survey point is attached to the nearest
    asset when it does not fall inside one.
SURVEY_MAX_PRECISION_M : float
    Default limit on a survey point's GPS precision (metres, as phones report
    it); a point less precise than this could describe the wrong building.
WELL_MAPPED_SHARE : float
    OSM maps the buildings of a place well when at least this share of its
    built-up land lies in land-use areas holding mapped buildings ...
WELL_MAPPED_DENSITY : float
    ... and its residential land holds at least this many mapped buildings per
    km² (see :mod:`pipeline.transform.completeness`); below either, every output
    that states the coverage says that an empty map is not evidence that nothing
    is idle.
VACANT_PLOT_MIN_AREA_M2 : float
    A cadastral parcel (or an OSM urban block) in built-up land with no
    building is a vacant-plot candidate only from this area up: smaller
    pieces are slivers, passages and light wells.
VACANT_PLOT_MAX_BUILT_SHARE : float
    ... and only while mapped buildings cover at most this share of it (a
    neighbour's footprint drawn a little over the line does not fill a plot).
EMPTY_BLOCK_MIN_AREA_M2 : float
    An OSM urban block with no building is offered from this area up; a
    smaller one between three streets is a traffic island.
EMPTY_BLOCK_MAX_ACTIVE_SHARE : float
    ... and while land in active use (a park, a playground, a square) covers
    at most this share of it: beyond, the block is part of that.
MIN_COVERAGE : float
    A run stops when the OSM extract covers less than this share of the
    boundary (an extract of another place, or of a part only), unless the
    config says ``sources.osm.partial: true``; the coverage is then printed
    on every output.
CONTEXT_BUFFER_M : float
    Context layers (roads, buildings, amenities) are read this far beyond the
    boundary so that assets near the edge see their real neighbours.
DENSITY_RADIUS_M : float
    Radius of the neighbourhood used by ``built_share`` (building density).
NEAREST_SEARCH_M : float
    Distances to context features are searched up to this far; beyond it the
    distance is reported as this value (a site 5 km from a road is "far").
SERVICES_RADIUS_M : float
    Radius within which ``services_nearby`` counts amenities, shops and stops.
WORK_MEMORY_MB : float
    Working memory (MiB) the criteria may use at once for their candidate
    pairs and intermediate arrays, shared between the threads; it sets how
    many assets each chunk holds (a million downtown assets have about 800
    million asset-amenity pairs within 500 m, which are never all listed).
    The criteria run side by side on the threads (each one's serial parts
    overlap another's compiled loops) and share it: while ``k`` run, each
    cuts its chunks to a ``k``-th of it. The loaded layers themselves are
    not counted.
MEMORY_BUDGET_MB : float or None
    Memory (MiB) a run of the features and score from GeoParquet files
    (``distributed.compute_features_from_files`` without a cluster) may
    peak at. The run estimates from the files' metadata what holding every
    layer would take (``common._memory``); within the budget it reads them
    whole, beyond it it works tile by tile, tiles sized to stay within it,
    with the same results. ``None``: 60 % of the machine's memory.
THREADS : int or None
    Threads the criteria run their chunks on; ``None``: as many as the cores
    this process may use. Shapely and numpy release the interpreter lock in
    their loops, so two threads use two cores.
POI_TAGS : dict[str, set[str] | None]
    Tags that make a point or polygon a point of interest (``None``: any value).
DRIVING_HIGHWAYS : set[str]
    ``highway=`` values of roads a van or truck can use (the ``roads`` layer).
OSM_CLIP_ABOVE_BYTES : int
    Local OSM files larger than this are first cut to the study area with
    pyosmium (streamed, cached under ``data/raw/cache``) unless ``clip`` says otherwise.
RESIDENTIAL_LANDUSE : set[str]
    ``landuse=`` values that count as housing (a housing area is never an
    asset's footprint, and is what ``residential_distance_m`` measures to).
(The tags each criterion selects are declared with it, in
``pipeline/features/``; ``idle-assets criteria`` lists them.)
DIAVGEIA_URL : str
    The open-data API of Diavgeia (diavgeia.gov.gr), where every decision of
    a municipality is published with its ΑΔΑ; a project's ``ledger.diavgeia``
    may point elsewhere (a mirror, or the tests' local replay server).
DIAVGEIA_TERMS : tuple[str, ...]
    What ``idle-assets decisions`` searches a municipality's decisions for:
    concessions of use, leases, social co-operatives, energy communities and
    calls for expressions of interest.
STUCK_YEARS : float
    A site listed in the plan's ledger for longer than this, and not yet
    assigned, in preparation, operating or exited, is *stuck*: the
    dashboard lists it first, as Scotland's vacant and derelict land survey
    lists the sites derelict for years.
PARTNER_WALK_M : float
    How far (metres) a school, library, community centre, market or an
    organisation of the open call may be from a site to be listed as a
    partner near it on its fact sheet: a ten-minute walk.
PARTNERS_SHOWN : int
    At most this many facilities, and this many organisations, listed per site.
"""

from __future__ import annotations

DEFAULT_CRS_GREECE = "EPSG:2100"
WGS84 = "EPSG:4326"
POLYGONAL = frozenset({"Polygon", "MultiPolygon"})

DEFAULT_CACHE_DIR = "data/raw/cache"
OSM_ATTRIBUTION = "© OpenStreetMap contributors (ODbL 1.0)"

POINT_ASSET_RADIUS_M = 10.0
POINT_HOST_MAX_AREA_M2 = 10_000.0
SURVEY_ATTACH_DISTANCE_M = 50.0
SURVEY_MAX_PRECISION_M = 50.0

MIN_COVERAGE = 0.95
WELL_MAPPED_SHARE = 0.9
WELL_MAPPED_DENSITY = 500.0
VACANT_PLOT_MIN_AREA_M2 = 100.0
VACANT_PLOT_MAX_BUILT_SHARE = 0.05
EMPTY_BLOCK_MIN_AREA_M2 = 500.0
EMPTY_BLOCK_MAX_ACTIVE_SHARE = 0.25
CONTEXT_BUFFER_M = 1000.0
DENSITY_RADIUS_M = 250.0
NEAREST_SEARCH_M = 5000.0
SERVICES_RADIUS_M = 500.0
WORK_MEMORY_MB = 256.0
THREADS: int | None = None
MEMORY_BUDGET_MB: float | None = None

POI_TAGS: dict[str, set[str] | None] = {
    "amenity": None, "shop": None, "public_transport": None,
    "highway": {"bus_stop"}, "railway": {"station", "halt", "tram_stop"},
}
DRIVING_HIGHWAYS = {
    "motorway", "trunk", "primary", "secondary", "tertiary", "unclassified", "residential",
    "living_street", "service", "road", "motorway_link", "trunk_link", "primary_link",
    "secondary_link", "tertiary_link",
}
OSM_CLIP_ABOVE_BYTES = 64 * 1024 * 1024

RESIDENTIAL_LANDUSE = {"residential"}

DIAVGEIA_URL = "https://diavgeia.gov.gr/opendata"
DIAVGEIA_TERMS = ("παραχώρηση χρήσης", "μίσθωση", "ΚοινΣΕπ", "ενεργειακή κοινότητα", "εκδήλωσης ενδιαφέροντος")
STUCK_YEARS = 3.0
PARTNER_WALK_M = 800.0
PARTNERS_SHOWN = 8
