"""Collecting knowledge-base problems, each naming file, line and path."""

from __future__ import annotations

from pydantic import ValidationError

from microneedling.knowledge.yamlsource import Path_, SourceMap


class Problems:
    """Every problem found while loading, in the order found."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, smap: SourceMap, path: Path_, message: str) -> None:
        """Record ``message`` at ``path`` of the file ``smap`` describes."""
        self.items.append(f"{smap.where(path)}: {message}")

    def add_validation(self, smap: SourceMap, error: ValidationError) -> None:
        """Record each error of a Pydantic validation, with readable wording."""
        for item in error.errors(include_url=False):
            loc = tuple(part for part in item["loc"] if not str(part).startswith("function-"))
            message = str(item["msg"])
            if item["type"] == "extra_forbidden":
                message = f"unknown key {loc[-1]!r}" if loc else "unknown key"
            elif item["type"] == "missing":
                message = f"missing required key {loc[-1]!r}" if loc else "missing required key"
                loc = loc[:-1]
            message = message.removeprefix("Value error, ")
            self.items.append(f"{smap.where(loc)}: {message}")
