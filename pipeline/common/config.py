"""Project configuration: one YAML file per municipality, validated with pydantic.

Unknown keys are errors reported with their path (``sources.osm.pth``), relative
paths are resolved against the folder of the YAML file, and every problem in a
file is reported at once in one :class:`~pipeline.common.errors.ConfigError`.

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

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    ValidationError,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)
from pyproj import CRS

from . import _yaml
from . import coefficients, settings
from .errors import ConfigError
from ..plugins import load_plugins
from .schema import FilePath, OptionalCrs, check_crs, expand_env, format_validation_error
from .schema import Strict as _Strict

__all__ = ["ConfigError", "ProjectConfig", "SOURCE_SECTIONS", "SourceSection", "Sources", "config_from_dict",
           "expand_env", "format_validation_error", "load_config", "read_yaml"]

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
    crs: OptionalCrs = Field(None, description="CRS to assume when the file has none")
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


@dataclass(frozen=True)
class SourceSection:
    """How a source's section under ``sources:`` is validated.

    Attributes
    ----------
    model : pydantic model class
        One item's settings.
    many : bool
        The section is a list of items (rasters, zones).
    required : bool
        Every project gives it (OpenStreetMap).
    once_per : str, optional
        In a list section, the field whose value no two items may share
        (one raster per ``kind``).
    label : str
        How errors call an item (``raster``).
    """

    model: type[BaseModel]
    many: bool = False
    required: bool = False
    once_per: str | None = None
    label: str = ""


#: The sections under ``sources:`` by key, in the order the sources were
#: registered; filled by :func:`pipeline.extract.registry.register_source`,
#: the built-in sources' and a plugin's alike.
SOURCE_SECTIONS: dict[str, SourceSection] = {}


def _once_per(section: SourceSection, field: str):
    def check(items: list) -> list:
        values = [getattr(item, field) for item in items]
        repeated = sorted({str(v) for v in values if values.count(v) > 1})
        if repeated:
            raise ValueError(f"one {section.label} per {field}; {', '.join(repeated)} given more than once")
        return items
    return check


_schemas: dict[tuple, type[BaseModel]] = {}


def _sections_schema() -> type[BaseModel]:
    """A model with one field per registered section (built once per registry state)."""
    state = tuple((key, id(section)) for key, section in SOURCE_SECTIONS.items())
    if state not in _schemas:
        fields: dict[str, Any] = {}
        for i, (key, section) in enumerate(SOURCE_SECTIONS.items()):
            if section.many:
                item: Any = list[section.model]  # type: ignore[name-defined]
                if section.once_per:
                    item = Annotated[item, AfterValidator(_once_per(section, section.once_per))]
                fields[f"section_{i}"] = (item, Field(default_factory=list, alias=key))
            elif section.required:
                fields[f"section_{i}"] = (section.model, Field(alias=key))
            else:
                fields[f"section_{i}"] = (section.model | None, Field(None, alias=key))
        _schemas.clear()
        _schemas[state] = create_model("sources", __config__=ConfigDict(extra="forbid", frozen=True), **fields)
    return _schemas[state]


class Sources(Mapping):
    """The inputs of a project: each registered section's validated settings
    (a model, a list of models for a list section, or None) by its key under
    ``sources:`` (``config.sources["osm"].path``). Read-only."""

    def __init__(self, sections: Mapping[str, Any]):
        self._sections = dict(sections)

    def __getitem__(self, key: str) -> Any:
        return self._sections[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._sections)

    def __len__(self) -> int:
        return len(self._sections)

    def __repr__(self) -> str:
        return f"Sources({self._sections!r})"

    def dump(self) -> dict:
        """The sections as plain data (for the cache key and the manifest)."""
        def plain(value: Any) -> Any:
            if isinstance(value, list):
                return [plain(v) for v in value]
            return value.model_dump(mode="json", by_alias=True) if isinstance(value, BaseModel) else value
        return {key: plain(value) for key, value in self._sections.items()}


def _validate_sources(data: Any, info: ValidationInfo) -> Sources:
    if isinstance(data, Sources):
        return data
    schema = _sections_schema()
    parsed = schema.model_validate(data, context=info.context)  # its errors keep their key path
    return Sources({str(field.alias): getattr(parsed, name) for name, field in schema.model_fields.items()})


SourcesField = Annotated[Sources, PlainValidator(_validate_sources), PlainSerializer(lambda s: s.dump())]

#: A weight is relative (normalised to sum to 1 per use); beyond this the sum of a profile's weights could overflow.
MAX_WEIGHT = 1e6
Weight = Annotated[float, Field(le=MAX_WEIGHT, description=f"a relative weight, at most {MAX_WEIGHT:g}")]


class ProfilesSpec(_Strict):
    """Which use profiles to score, extra profile files, and weight overrides."""

    use: list[str] | None = Field(None, description="built-in or file profile names; default all")
    files: list[FilePath] = Field(default_factory=list)
    weights: dict[str, dict[str, Weight]] = Field(default_factory=dict)
    workshop: FilePath | None = Field(None, description="export of the workshops' weights form "
                                                        "(idle-assets weights-form): the group's weights replace the "
                                                        "profiles' own for the uses rated")


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
    label: str | None = Field(None, description="the target's name in English (and in Greek when label_el is not given)")
    label_el: str | None = Field(None, description="the target's name in Greek, for Greek texts (notes, annex)")

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
    legal_routes: FilePath | None = Field(
        None, description="a YAML file of legal routes that changes the shipped table (pipeline/common/"
                          "legal_routes.yaml): a rule, source or legal form with an id already there replaces it")


class OutputSpec(_Strict):
    tables: FilePath | None = None
    maps: FilePath | None = None
    self_contained: bool = Field(True, description="inline Leaflet and plugins so maps open with no internet")
    pdf: bool = Field(True, description="also write annex.pdf (needs the 'pdf' extra: WeasyPrint and Pango)")
    language: Literal["el", "en", "both"] | None = Field(
        None, description="the language maps open in (readers can switch and the choice is remembered); "
                          "default Greek for a municipality in Greece, English elsewhere")


class DiavgeiaSpec(_Strict):
    """Where ``idle-assets decisions`` searches the municipality's council
    decisions: its organisation on Diavgeia (the numeric uid or the latin
    name of ``/organizations``), the API and the words searched for."""

    org: str = Field(min_length=1, description="the municipality's Diavgeia organisation (uid or latin name)")
    url: str = Field(settings.DIAVGEIA_URL, description="Diavgeia's open-data API")
    terms: list[str] = Field(default_factory=lambda: list(settings.DIAVGEIA_TERMS), min_length=1)


class LedgerSpec(_Strict):
    """Where the plan's ledger lives (every asset ever found and its path
    from report to operating; see :mod:`pipeline.ledger`): an SQLite file
    beside the project, or a PostgreSQL/PostGIS database shared by the
    municipality's officers. A password is never written in the config: give
    it through an environment variable
    (``postgresql://officer:${IDLE_ASSETS_LEDGER_PASSWORD}@db.example.gr/plan``)
    or libpq's own ``PGPASSWORD`` / ``.pgpass``."""

    path: FilePath | None = Field(None, description="an SQLite file, a GeoPackage too (volos.ledger.gpkg) beside the config")
    url: str | None = Field(None, description="postgresql://user@host:port/database")
    diavgeia: DiavgeiaSpec | None = Field(None, description="where 'idle-assets decisions' searches council decisions")

    @model_validator(mode="after")
    def _one_store(self) -> "LedgerSpec":
        if (self.path is None) == (self.url is None):
            raise ValueError("give either 'path' (an SQLite file) or 'url' (postgresql://...)")
        if self.url is not None:
            if not self.url.startswith(("postgresql://", "postgres://")):
                raise ValueError(f"url {self.url!r} is not a postgresql:// URL")
            credentials = self.url.split("://", 1)[1].rpartition("@")[0]
            if ":" in credentials and "${" not in credentials.partition(":")[2]:
                raise ValueError("the url holds a password: give it as ${VARIABLE} or through PGPASSWORD / .pgpass, "
                                 "so it never reaches a file or an output")
        return self

    def location(self) -> str:
        """The SQLite path or the URL, environment variables expanded."""
        return expand_env(self.url) if self.url else str(self.path)


def _web_address(value: str | None) -> str | None:
    if value is not None and not re.match(r"^https?://[^\s/]+", value):
        raise ValueError(f"{value!r} is not an http(s) address")
    return value


WebAddress = Annotated[str | None, AfterValidator(_web_address)]


class ParticipationSpec(_Strict):
    """Where the project's forms are deployed (KoboToolbox, ODK Central or any
    Enketo web form): each asset's map popup and fact sheet link to them, the
    asset pre-filled (Enketo's ``?d[/data/<question>]=<asset id>``), with a
    QR code on the fact sheet."""

    open_call_url: WebAddress = Field(None, description="the open call's web form (idle-assets open-call-form)")
    report_url: WebAddress = Field(None, description="the citizens' report web form (idle-assets report-form)")


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
    sources: SourcesField
    profiles: ProfilesSpec = Field(default_factory=ProfilesSpec)
    sensitivity: SensitivitySpec = Field(default_factory=SensitivitySpec)
    plan: PlanSpec = Field(default_factory=PlanSpec)
    impact: dict = Field(default_factory=dict, description="overrides of pipeline/common/impact_defaults.yaml")
    inventory: dict = Field(default_factory=dict, description="overrides of pipeline/common/evidence.yaml (what counts as idle)")
    output: OutputSpec = Field(default_factory=OutputSpec)
    attribution: list[str] = Field(default_factory=list, description="extra credits for maps and tables")
    national: NationalSpec | None = Field(None, description="run once per municipality of the boundary file")
    ledger: LedgerSpec | None = Field(None, description="record each run's assets in the plan's ledger")
    participation: ParticipationSpec = Field(default_factory=ParticipationSpec,
                                             description="the deployed forms each asset links to")
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
        check_crs(value)
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
        sections = {"sources": (lambda: list(SOURCE_SECTIONS),
                                lambda key: SOURCE_SECTIONS[key].model if key in SOURCE_SECTIONS else None)}
        raise ConfigError(title, format_validation_error(exc, ProjectConfig, sections)) from None


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
    return Path(__file__).resolve().parents[2] / "configs" / "demo.yaml"


Language = Literal["en", "el"]
