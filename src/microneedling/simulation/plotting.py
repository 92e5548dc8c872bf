"""Writing figures: the one place plots are saved, as SVG or PNG, reproducibly."""

from __future__ import annotations

from pathlib import Path

import matplotlib
from matplotlib.figure import Figure


def save_figure(fig: Figure, path: Path | str) -> Path:
    """Save as .svg or .png (by the suffix); SVG is byte-stable across runs (no date, fixed ids)."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in (".svg", ".png"):
        raise ValueError(f"plots are written as .svg or .png, not {suffix!r}")
    with matplotlib.rc_context({"svg.hashsalt": "microneedling", "svg.fonttype": "path"}):
        metadata: dict[str, str | None] = (
            {"Date": None} if suffix == ".svg" else {"Software": "microneedling"}
        )
        fig.savefig(target, format=suffix[1:], metadata=metadata, dpi=150)
    return target
