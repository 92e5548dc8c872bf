"""Names on a terminal: the command line's tables and lines are drawn with Rich, which reads
``[...]`` as markup. A name is isolated where needed (:mod:`microneedling.text_direction`: a
name with right-to-left letters or direction overrides cannot reorder the line around it) and
its brackets escaped, so that ``"Ann [/]"`` or ``"[link=…]"`` shows as typed instead of styling,
or breaking, the output."""

from __future__ import annotations

from rich.markup import escape

from microneedling.text_direction import isolated_where_needed


def shown_name(*parts: str | None) -> str:
    """The parts of a name joined by spaces, ready for Rich (markup escaped) and isolated."""
    return escape(isolated_where_needed(" ".join(part for part in parts if part)))


def plain_name(*parts: str | None) -> str:
    """The same for plain output (``typer.echo``: no markup to escape)."""
    return isolated_where_needed(" ".join(part for part in parts if part))
