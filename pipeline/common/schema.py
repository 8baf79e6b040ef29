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
import os
import re
from pathlib import Path
from typing import Annotated

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
