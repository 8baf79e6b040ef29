"""Which uses may share one asset (``compatible_uses.yaml``): rooftop solar
with a use inside the building, a consumer co-op with a cultural space, ...
Read here, a shared leaf, and handed to the plan, which reads no file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from . import _yaml


@lru_cache(maxsize=1)
def compatible_uses() -> dict[str, frozenset[str]]:
    """Uses that may share an asset (``pipeline/common/compatible_uses.yaml``), each
    with the uses it can share one with (``*``: any)."""
    data = _yaml.load((Path(__file__).parent / "compatible_uses.yaml").read_text(encoding="utf-8")) or {}
    return {use: frozenset(others) for use, others in data.items()}
