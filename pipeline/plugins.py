"""Extensions from other installed packages.

A package extends idle-assets by declaring an entry point in the group
``idle_assets.plugins`` (in its ``pyproject.toml``)::

    [project.entry-points."idle_assets.plugins"]
    energy_certificates = "my_package.idle_assets_plugin"

The module named is imported before any config is validated or any profile
read; on import it registers what it adds: criteria
(:func:`pipeline.features.criterion`), sources
(:func:`pipeline.extract.registry.register_source`), use-profile folders
(:func:`pipeline.score.profiles.add_profile_dir`) and outputs
(:func:`pipeline.publish.register_output`). ``docs/extending.md`` shows one
of each. Only installed packages are loaded: nothing in a config file or an
input names code to run. The built-in sources are added the same way (their
modules, listed in :data:`pipeline.extract.BUILT_IN`, register themselves).
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import entry_points

from .common.errors import ConfigError

GROUP = "idle_assets.plugins"
_loaded: set[str] = set()


def load_plugins() -> list[str]:
    """Import every plugin module not imported yet; return the names of
    those loaded now.

    Raises
    ------
    ConfigError
        Naming each plugin that failed to load and why.
    """
    import_module("pipeline.extract")  # the built-in sources register themselves as a plugin's do
    problems, loaded = [], []
    for ep in entry_points(group=GROUP):
        if ep.value in _loaded:
            continue
        try:
            import_module(ep.module)
        except Exception as exc:  # a broken plugin must name itself, not crash the run
            problems.append(f"{ep.name} ({ep.value}): cannot be imported ({type(exc).__name__}: {exc})")
            continue
        _loaded.add(ep.value)
        loaded.append(ep.name)
    if problems:
        raise ConfigError(f"plugins (entry points '{GROUP}')", problems)
    return loaded
