"""Building blocks of the config's pydantic models, shared by the project
schema (:mod:`pipeline.common.config`) and the sources' own sections (each beside
its reader in :mod:`pipeline.extract`).

- :class:`Strict`: unknown keys are errors; frozen; ``.inf``/``.nan`` refused.
- :data:`FilePath`: a path with ``${ENV}`` expanded, ``~`` expanded and, when
  relative, resolved against the folder of the YAML file (the validation
  context's ``base_dir``).
- :data:`Encoding`: a text encoding Python knows.
- :data:`CrsName` / :data:`OptionalCrs`: a CRS pyproj understands.
- :func:`format_validation_error`: one line per problem, led by its key path.
"""

from __future__ import annotations

import codecs
import difflib
import os
import re
from pathlib import Path
from collections.abc import Callable, Mapping
from typing import Annotated, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError, ValidationInfo
from pyproj import CRS
from pyproj.exceptions import CRSError

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


def resolve_path(value: Path, info: ValidationInfo) -> Path:
    """``value`` expanded and, when relative, taken from the config's folder."""
    base = (info.context or {}).get("base_dir")
    value = Path(expand_env(str(value))).expanduser()
    if base is not None and not value.is_absolute():
        value = Path(base) / value
    return Path(os.path.normpath(value))


FilePath = Annotated[Path, AfterValidator(resolve_path)]


class Strict(BaseModel):
    """A config section: unknown keys are errors, values are frozen."""

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


def check_crs(value: str | None) -> str | None:
    """``value`` unchanged when pyproj understands it (or it is None)."""
    if value is None:
        return None
    try:
        CRS.from_user_input(value)
    except CRSError as exc:
        raise ValueError(f"{value!r} is not a CRS pyproj understands ({exc})") from None
    return value


CrsName = Annotated[str, AfterValidator(check_crs)]
OptionalCrs = Annotated[str | None, AfterValidator(check_crs)]


Sections = Mapping[str, tuple[Callable[[], list[str]], Callable[[str], "type[BaseModel] | None"]]]


def _known_keys(model: type[BaseModel] | None, path: tuple, sections: Sections) -> list[str]:
    """The keys known at ``path`` below ``model`` (list indices and mapping keys
    stepped over; at and below a path of ``sections``, its functions give the
    keys and each key's model), or none where the path leaves models."""
    for i, part in enumerate(path):
        above = ".".join(str(p) for p in path[:i])
        if above in sections and isinstance(part, str):
            model = sections[above][1](part)
            continue
        if model is None:
            return []
        field = model.model_fields.get(str(part)) if isinstance(part, str) else None
        if field is None:
            continue  # an index of a list or a key of a mapping: the value's type is the one already found
        model = _model_in(field.annotation)
    here = ".".join(str(p) for p in path)
    if here in sections:
        return sections[here][0]()
    return [f.alias or name for name, f in model.model_fields.items()] if model is not None else []


def _model_in(annotation) -> type[BaseModel] | None:
    """The pydantic model an annotation holds (``X``, ``X | None``, ``list[X]``, ``dict[str, X]``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in reversed(get_args(annotation)):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def format_validation_error(exc: ValidationError, model: type[BaseModel] | None = None,
                            sections: Sections | None = None) -> list[str]:
    """One line per pydantic error, led by the dotted key path; an unknown key
    of ``model`` (or of a section below it; ``sections``: see :func:`_known_keys`)
    gets the closest known one."""
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling)"
            known = _known_keys(model, tuple(err["loc"][:-1]), sections or {})
            if known and isinstance(err["loc"][-1], str):
                close = difflib.get_close_matches(err["loc"][-1], known, n=1)
                msg = f"unknown key: did you mean '{close[0]}'?" if close else msg
        elif err["type"] == "missing":
            msg = "required key is missing"
        lines.append(f"{loc}: {msg}")
    return lines
