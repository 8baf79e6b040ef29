"""idle-assets: find, score and publish a municipality's idle public assets.

The pipeline runs six stages, each a module of pure functions wired by
:mod:`pipeline.runner`: ``extract`` -> ``transform`` -> ``features`` ->
``score`` -> ``match`` -> ``publish``.
"""

__version__ = "0.1.0"
