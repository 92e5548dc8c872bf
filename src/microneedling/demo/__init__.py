"""Demo data shipped with the product: the demo intake, plan request and price list."""

from __future__ import annotations

from importlib import resources
from typing import Any

from microneedling.knowledge.yamlsource import load_yaml


def load(name: str) -> Any:
    """A bundled demo document (YAML or JSON) by file name."""
    text = resources.files(__name__).joinpath(name).read_text("utf-8")
    data, _ = load_yaml(text, name)
    return data
