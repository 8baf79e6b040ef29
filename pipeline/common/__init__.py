"""Shared leaves: what several stages read, importing no stage.

- ``config`` (the project schema) and ``schema`` (its building blocks, which
  the sources' own sections use too);
- ``settings`` (every constant, documented), ``columns`` (the column
  aliases and private-capable columns), ``evidence`` with ``evidence.yaml``
  (what counts as idle), ``coefficients`` with ``impact_defaults.yaml``;
- ``errors`` (``ProblemsError`` and its kinds), ``contracts`` (the stage
  boundaries' checks), ``i18n`` with ``values_el.yaml`` (the bilingual
  wording), ``_text`` and ``_yaml`` (text cleaning, YAML without repeated keys);
- ``io`` (readers' checks and the atomic writers), ``outputs`` (our output
  folders and the user's files), ``privacy`` (what may be published),
  ``changes`` (what changed since the last run), ``sharing`` with
  ``compatible_uses.yaml`` (which uses may share an asset);
- ``_proximity``, ``_kernels``, ``_clipping`` and ``_memory``: the compiled
  distance, coverage and clipping kernels and the memory budget the criteria use.
"""
