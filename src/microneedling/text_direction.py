"""Names shown inside other text, kept from reordering it (Unicode bidirectional controls).

A name such as ``"Ada\\u202eecilA"`` (RIGHT-TO-LEFT OVERRIDE) would otherwise turn the rest of the
line around it backwards, a known spoofing trick. Pure functions, used by the pages (inside
``<bdi>``), the handout PDF, the calendar feeds, the audit log's sentences, staff invitations and
the command line's output (``cli/names.py``).
"""

from __future__ import annotations

#: LRE, RLE, PDF, LRO, RLO: embeddings and overrides.
EMBEDDINGS = frozenset("\u202a\u202b\u202c\u202d\u202e")
#: LRI, RLI, FSI, PDI: isolates.
ISOLATES = frozenset("\u2066\u2067\u2068\u2069")
#: LRM, RLM, ALM: invisible marks that change neutral characters' direction.
MARKS = frozenset("\u200e\u200f\u061c")
CONTROLS = EMBEDDINGS | ISOLATES | MARKS
FSI = "\u2068"
PDI = "\u2069"


def without_controls(name: str) -> str:
    """``name`` without any bidirectional control character (for output with no bidi support)."""
    return "".join(c for c in name if c not in CONTROLS)


def balanced(name: str) -> str:
    """``name`` without embeddings, overrides and unpaired isolates; paired isolates are kept."""
    kept: list[str] = []
    openers: list[int] = []
    for c in name:
        if c in EMBEDDINGS:
            continue
        if c in ISOLATES and c != PDI:
            openers.append(len(kept))
        elif c == PDI:
            if not openers:
                continue
            openers.pop()
        kept.append(c)
    for index in reversed(openers):
        del kept[index]
    return "".join(kept)


def isolated(name: str) -> str:
    """``name`` between FSI and PDI, with nothing inside that can reach past them.

    For plain text that a bidi-aware reader shows (calendar feeds, attribute values): the
    surrounding text reads the same whatever the name holds.
    """
    return f"{FSI}{balanced(name)}{PDI}"


def isolated_where_needed(name: str) -> str:
    """``isolated(name)``, or ``name`` as it is when it is plain ASCII (which holds no
    right-to-left letter and no control, so cannot reorder anything): machine-made names such as
    ``room-1`` stay easy to read and search in plain-text output."""
    return name if name.isascii() else isolated(name)
