"""The one YAML loader of the planner: bounded, strict about duplicate keys, with line numbers.

Every YAML file the planner reads (scenarios, sweep files, scenarios uploaded
to the app) goes through :func:`load_yaml_file` or :func:`load_yaml_text`.
On top of PyYAML's safe loader (no Python objects) it refuses:

* files over :data:`MAX_YAML_BYTES` (a scenario is a few kilobytes), and
  anything that is not an ordinary file (a pipe would block the read);
* more than :data:`MAX_ALIASES` aliases (``*name``), nesting deeper than
  :data:`MAX_DEPTH`, and documents whose aliases expand to more than
  :data:`MAX_NODES` values: the "billion laughs" expansion, a few hundred
  bytes that unfold into billions of values when hashed or validated;
* an alias that refers to its own anchor (a recursive document);
* a key written twice in the same mapping (YAML keeps the last silently;
  here each repeat is reported with both line numbers); keys merged with
  ``<<: *anchor`` may still be overridden, as YAML intends;
* values the loader cannot build (an integer of 5,000 digits).

It reads numbers as YAML 1.2 does where YAML 1.1 reads text: an exponent
without a sign (``460e6``, ``1.5e9``) is a number, not the string "460e6".

Every refusal is an :class:`~planner.errors.InputError` (a
:class:`~planner.errors.ScenarioError` unless the caller chooses another class)
naming the file, and the line and column where one is known.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from planner.errors import InputError, ScenarioError
from planner.files import read_bytes

__all__ = ["MAX_ALIASES", "MAX_DEPTH", "MAX_NODES", "MAX_YAML_BYTES", "load_yaml_file", "load_yaml_text"]

MAX_YAML_BYTES = 1 << 20
"""Largest YAML file read: 1 MB (the shipped scenarios are under 3 kB)."""
MAX_ALIASES = 64
"""Most aliases (``*name``) in one document."""
MAX_DEPTH = 40
"""Deepest nesting of mappings and lists."""
MAX_NODES = 200_000
"""Most values in a document once every alias is expanded."""

_MERGE = "tag:yaml.org,2002:merge"


class _Refused(Exception):
    """A limit was exceeded; carries the message and the node's position."""

    def __init__(self, message: str, mark: Any = None) -> None:
        super().__init__(message)
        self.mark = mark


def _where(mark: Any) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader with alias, depth and duplicate-key checks."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._aliases = 0
        self._depth = 0
        self.duplicates: list[tuple[int, str]] = []

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise _Refused(
                    f"more than {MAX_ALIASES} aliases (*name): refused, a scenario does not need them",
                    self.peek_event().start_mark,
                )
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Refused(f"nested more than {MAX_DEPTH} levels deep: refused", self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE or not isinstance(key_node, ScalarNode):
                continue
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                first = seen.get(key)
            except TypeError:  # unhashable: PyYAML reports it below
                continue
            if first is None:
                seen[key] = line
            else:
                self.duplicates.append((line, f"line {line}: key {key_node.value!r} repeats the key of line {first}"))
        return super().construct_mapping(node, deep=deep)


_EXPONENT_FLOAT = re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$")
"""A number with an exponent (``460e6``, ``1.5E+9``); PyYAML's YAML 1.1 rules read the unsigned form as text."""
_BoundedLoader.add_implicit_resolver("tag:yaml.org,2002:float", _EXPONENT_FLOAT, list("-+0123456789."))


def _expanded_size(root: Node) -> int:
    """Number of values once aliases are expanded; raises on recursion or past :data:`MAX_NODES`."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()

    def size(node: Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in on_path:
            raise _Refused("an alias refers to its own anchor (a recursive document): refused", node.start_mark)
        on_path.add(key)
        total = 1
        if isinstance(node, SequenceNode):
            total += sum(size(child) for child in node.value)
        elif isinstance(node, MappingNode):
            total += sum(size(k) + size(v) for k, v in node.value)
        on_path.discard(key)
        if total > MAX_NODES:
            raise _Refused(
                f"expands to more than {MAX_NODES:,} values (aliases repeated inside aliases): refused",
                node.start_mark,
            )
        sizes[key] = total
        return total

    return size(root)


def load_yaml_text(text: str, source: str, error: type[InputError] = ScenarioError) -> Any:
    """Parse one YAML document with the limits above.

    Parameters
    ----------
    text : str
        The document.
    source : str
        Names the document in messages (the file name).
    error : type of InputError
        The error raised (default :class:`ScenarioError`).

    Returns
    -------
    Any
        Plain data (dicts, lists, scalars); None for an empty document.

    Raises
    ------
    InputError
        Naming ``source`` and, where known, the line and column.
    """
    if len(text) > MAX_YAML_BYTES:
        raise error(f"{len(text):,} characters, over the {MAX_YAML_BYTES:,} limit for YAML files", source=source)
    loader = _BoundedLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _expanded_size(node)
        data = loader.construct_document(node)
    except _Refused as exc:
        raise error(f"{_where(exc.mark)}{exc}", source=source) from None
    except yaml.MarkedYAMLError as exc:
        problem = exc.problem or str(exc)
        raise error(f"{_where(exc.problem_mark)}malformed YAML: {problem}", source=source) from None
    except yaml.YAMLError as exc:
        raise error(f"malformed YAML: {exc}", source=source) from None
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        why = "a number with thousands of digits" if "digits" in str(exc) else str(exc)
        raise error(f"a value cannot be read ({why})", source=source) from None
    finally:
        loader.dispose()
    if loader.duplicates:
        found = sorted(loader.duplicates)
        raise error([f"{text}: each key may appear once in a block" for _, text in found], source=source)
    return data


def load_yaml_file(
    path: str | Path,
    what: str = "YAML file",
    error: type[InputError] = ScenarioError,
    missing: str = "file not found",
) -> Any:
    """Read a YAML file (an ordinary UTF-8 file of at most :data:`MAX_YAML_BYTES`) with the limits above.

    Parameters
    ----------
    path : str or Path
    what : str
        What the file is, for messages ("sweep file").
    error : type of InputError
        The error raised (default :class:`ScenarioError`).
    missing : str
        The message when the file does not exist.

    Returns
    -------
    Any
        Plain data; None when the file holds no document.
    """
    source = str(path)
    data = read_bytes(path, what, error=error, limit=MAX_YAML_BYTES, missing=missing)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise error("not a UTF-8 text file", source=source) from None
    return load_yaml_text(text, source, error)
