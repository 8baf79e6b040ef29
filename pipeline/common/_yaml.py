"""YAML read strictly: a key given twice in one mapping is an error.

PyYAML keeps the last of two equal keys without a word, so a config with
``private: [notes, photo]`` followed by ``private: []`` would publish the
notes. Every configuration, profile and rule file is read through
:func:`load`, which lists every repeated key with both lines.
"""

from __future__ import annotations

from typing import Any

import yaml


class DuplicateKeysError(ValueError):
    """Keys given twice in one mapping; ``problems`` has one line per key."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


class _UniqueKeyLoader(yaml.SafeLoader):
    def __init__(self, stream):
        super().__init__(stream)
        self.duplicates: list[tuple[int, str]] = []

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                line = key_node.start_mark.line + 1
                try:
                    first = seen.setdefault(key, line)
                except TypeError:  # an unhashable key: PyYAML reports it itself
                    continue
                if first != line:
                    self.duplicates.append((line, f"line {line}: key {key!r} repeats the key of line {first} (YAML "
                                                  "would keep only the last one silently); keep one of them"))
        return super().construct_mapping(node, deep=deep)


def load(text: str) -> Any:
    """``yaml.safe_load`` that raises :class:`DuplicateKeysError` on a repeated key."""
    loader = _UniqueKeyLoader(text)
    try:
        data = loader.get_single_data()
    finally:
        loader.dispose()
    if loader.duplicates:
        raise DuplicateKeysError([text for _, text in sorted(loader.duplicates)])
    return data
