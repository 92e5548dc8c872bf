"""Strict YAML reading that remembers where every value came from.

PyYAML silently keeps the last of two duplicate keys; a knowledge base must refuse them. This loader
composes the node tree, refuses duplicate keys, and returns the plain data together with a map from
each value's path (a tuple of keys and list indexes) to its 1-based line number, so validation errors
can say "findings.yaml, line 12 (rules[3].severity): ...".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Path_ = tuple[str | int, ...]


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans: only true/false, so `on:` stays the word "on"."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


@dataclass
class SourceMap:
    """Line numbers of the values in one YAML file, by path."""

    file: str
    lines: dict[Path_, int] = field(default_factory=dict)

    def line(self, path: Path_) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one."""
        probe = tuple(path)
        while probe:
            if probe in self.lines:
                return self.lines[probe]
            probe = probe[:-1]
        return self.lines.get(())

    def where(self, path: Path_) -> str:
        """``file, line N (a.b[2].c)`` for error messages."""
        line = self.line(path)
        place = format_path(path)
        at = f", line {line}" if line is not None else ""
        return f"{self.file}{at}" + (f" ({place})" if place else "")


def format_path(path: Path_) -> str:
    """``("rules", 3, "severity")`` → ``rules[3].severity``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


class YamlError(ValueError):
    """A YAML file that is not well formed (or has duplicate keys); message names file and line."""


def _construct(
    node: yaml.Node, path: Path_, smap: SourceMap, loader: _Loader, seen: set[int]
) -> Any:
    smap.lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode | yaml.SequenceNode):
        # An alias makes the composer hand out the same node twice; expanding it could blow up
        # exponentially ("billion laughs"), and the knowledge base has no use for it.
        if id(node) in seen:
            raise YamlError(
                f"{smap.file}, line {node.start_mark.line + 1}: "
                "YAML anchors and aliases (&, *) are not supported"
            )
        seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int) or isinstance(key, bool):
                raise YamlError(
                    f"{smap.file}, line {key_node.start_mark.line + 1}: "
                    f"keys must be plain words, got {key!r}"
                )
            key = str(key) if not isinstance(key, str) else key
            if key in result:
                raise YamlError(
                    f"{smap.file}, line {key_node.start_mark.line + 1}: duplicate key {key!r}"
                    f" (first at line {smap.lines.get((*path, key), '?')})"
                )
            smap.lines[(*path, key)] = key_node.start_mark.line + 1
            result[key] = _construct(value_node, (*path, key), smap, loader, seen)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _construct(item, (*path, index), smap, loader, seen)
            for index, item in enumerate(node.value)
        ]
    return loader.construct_object(node, deep=True)


def load_yaml(text: str, file: str) -> tuple[Any, SourceMap]:
    """Parse ``text`` strictly; return the data and its :class:`SourceMap`."""
    smap = SourceMap(file=file)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, smap
        return _construct(node, (), smap, loader, set()), smap
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        line = f", line {mark.line + 1}" if mark is not None else ""
        raise YamlError(f"{file}{line}: not valid YAML: {error.problem}") from None
    except yaml.YAMLError as error:
        raise YamlError(f"{file}: not valid YAML: {error}") from None
    finally:
        loader.dispose()


def read_yaml(path: Path) -> tuple[Any, SourceMap]:
    """Read and parse a YAML file (UTF-8)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise YamlError(f"{path.name}: not UTF-8 text") from None
    return load_yaml(text, path.name)
