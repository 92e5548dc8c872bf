"""The zone map: one clickable, keyboard-focusable shape per zone of the knowledge base, on a face
and a body (front and back), with each planned zone's depth range drawn beside it.

Geometry only: which shapes, where each zone's name and depth go, and the line between them. The
template ``partials/zone_map.svg.j2`` draws it; ``web/static/js/app.js`` makes a click (or Space,
or Enter) on a zone tick that zone in the plan builder's list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from microneedling.knowledge import KnowledgeBase
from microneedling.web.labels import zone_label

WIDTH, HEIGHT = 1150, 545
LABEL_WIDTH = 124
#: The least width and height (map units) a zone can be tapped on. The map is drawn at least
#: :data:`NARROWEST_MAP_PX` wide on a tablet (from 900 px the plan builder gives it two thirds
#: of the page, below that the whole width), so this is at least 24 CSS px: WCAG 2.2's
#: minimum target size. A zone drawn smaller gets a transparent hit area this large around it.
MIN_HIT = 54
NARROWEST_MAP_PX = 560
#: Where a hit area is moved (map units) so that it does not reach over a neighbour drawn before
#: it (zones are drawn in the knowledge base's order, a later one over an earlier one): the
#: glabella's not over the forehead, the nose's not over the eyes, the lips' not over the cheeks,
#: the chin's not over the lips. Neighbours drawn after a zone cover its hit area anyway.
_HIT_OFFSETS = {
    "glabella": (0.0, 10.0),
    "nose": (0.0, 20.0),
    "perioral": (0.0, 9.0),
    "chin": (0.0, 6.0),
}

#: A shape: ("ellipse", cx, cy, rx, ry) or ("path", d).
Shape = tuple[Any, ...]


@dataclass(frozen=True)
class ZoneDrawing:
    code: str
    shapes: tuple[Shape, ...]
    #: Where the leader line starts (on the zone).
    anchor: tuple[float, float]
    #: The label's top-left corner; ``side`` says which side of the label the line meets.
    label: tuple[float, float]
    side: str
    #: Transparent hit areas ``("rect", x, y, width, height)`` around shapes drawn smaller than
    #: :data:`MIN_HIT` (drawn under the shape, in the zone's group, so a tap on them is a tap on
    #: the zone).
    hits: tuple[Shape, ...] = ()


def _path_map(d: str, change: Any) -> str:
    """A path (absolute commands, x y pairs) with every x changed by ``change``."""
    out: list[str] = []
    is_x = True
    for token in d.split():
        if token.isalpha():
            out.append(token)
            is_x = True
            continue
        value = float(token)
        if is_x:
            value = change(value)
        out.append(f"{value:g}")
        is_x = not is_x
    return " ".join(out)


def _mirror(d: str, axis: float) -> str:
    return _path_map(d, lambda x: 2 * axis - x)


def _shift(shape: Shape, dx: float) -> Shape:
    if shape[0] == "ellipse":
        return ("ellipse", shape[1] + dx, *shape[2:])
    return ("path", _path_map(shape[1], lambda x: x + dx))


# The figures are drawn around these centres, then moved right by each panel's offset so that
# the labels fit in columns between them.
FACE_AXIS, FACE_DX = 230.0, 30.0
FRONT_AXIS, FRONT_DX = 620.0, 130.0
BACK_AXIS, BACK_DX = 870.0, 190.0

_JAW_LEFT = "M 112 318 Q 122 398 186 436 L 194 424 Q 136 392 126 318 Z"
_ARM_LEFT = "M 572 120 L 552 126 L 536 285 L 554 288 L 574 175 Z"
_THIGH_LEFT = "M 580 346 L 617 346 L 614 450 L 586 450 Z"
_BACK_ARM_LEFT = "M 822 120 L 802 126 L 786 285 L 804 288 L 824 175 Z"
_BACK_THIGH_LEFT = "M 830 346 L 867 346 L 864 450 L 836 450 Z"

#: Label columns: face left and right, front body left, between front and back.
_LEFT, _FACE_RIGHT, _FRONT_LEFT, _MIDDLE = 4.0, 402.0, 532.0, 852.0

# code: (panel offset, shapes, anchor before the offset, label corner, side the line meets)
_RAW: tuple[
    tuple[str, float, tuple[Shape, ...], tuple[float, float], tuple[float, float], str], ...
] = (
    (
        "scalp",
        FACE_DX,
        (("path", "M 108 238 C 100 105 360 105 352 238 C 320 162 140 162 108 238 Z"),),
        (150, 160),
        (_LEFT, 112),
        "right",
    ),
    (
        "forehead",
        FACE_DX,
        (("path", "M 140 212 C 180 180 280 180 320 212 L 316 242 C 270 232 190 232 144 242 Z"),),
        (300, 214),
        (_FACE_RIGHT, 172),
        "left",
    ),
    ("glabella", FACE_DX, (("ellipse", 230, 255, 15, 10),), (242, 255), (_FACE_RIGHT, 232), "left"),
    (
        "periorbital",
        FACE_DX,
        (("ellipse", 180, 274, 36, 15), ("ellipse", 280, 274, 36, 15)),
        (146, 274),
        (_LEFT, 242),
        "right",
    ),
    (
        "nose",
        FACE_DX,
        (("path", "M 230 270 L 211 336 Q 230 346 249 336 Z"),),
        (244, 318),
        (_FACE_RIGHT, 292),
        "left",
    ),
    (
        "cheeks",
        FACE_DX,
        (("ellipse", 168, 332, 34, 30), ("ellipse", 292, 332, 34, 30)),
        (140, 336),
        (_LEFT, 312),
        "right",
    ),
    ("perioral", FACE_DX, (("ellipse", 230, 374, 40, 18),), (268, 374), (_FACE_RIGHT, 352), "left"),
    ("chin", FACE_DX, (("ellipse", 230, 414, 32, 15),), (260, 416), (_FACE_RIGHT, 412), "left"),
    (
        "jawline",
        FACE_DX,
        (("path", _JAW_LEFT), ("path", _mirror(_JAW_LEFT, FACE_AXIS))),
        (124, 370),
        (_LEFT, 382),
        "right",
    ),
    (
        "neck",
        FACE_DX,
        (("path", "M 184 436 L 184 512 L 276 512 L 276 436 Q 230 452 184 436 Z"),),
        (190, 482),
        (_LEFT, 462),
        "right",
    ),
    (
        "decolletage",
        FRONT_DX,
        (("path", "M 580 122 L 660 122 L 657 170 Q 620 182 583 170 Z"),),
        (655, 150),
        (_MIDDLE, 130),
        "left",
    ),
    (
        "abdomen",
        FRONT_DX,
        (("path", "M 586 215 L 654 215 L 657 305 L 583 305 Z"),),
        (654, 262),
        (_MIDDLE, 250),
        "left",
    ),
    (
        "arms",
        FRONT_DX,
        (("path", _ARM_LEFT), ("path", _mirror(_ARM_LEFT, FRONT_AXIS))),
        (550, 200),
        (_FRONT_LEFT, 180),
        "right",
    ),
    (
        "hands",
        FRONT_DX,
        (("ellipse", 544, 306, 12, 18), ("ellipse", 696, 306, 12, 18)),
        (532, 306),
        (_FRONT_LEFT, 290),
        "right",
    ),
    (
        "thighs",
        FRONT_DX,
        (("path", _THIGH_LEFT), ("path", _mirror(_THIGH_LEFT, FRONT_AXIS))),
        (584, 400),
        (_FRONT_LEFT, 392),
        "right",
    ),
    (
        "back",
        BACK_DX,
        (("path", "M 832 122 L 908 122 L 905 300 L 835 300 Z"),),
        (836, 214),
        (_MIDDLE, 190),
        "left",
    ),
    (
        "buttocks",
        BACK_DX,
        (("path", "M 833 305 L 907 305 L 909 345 Q 870 362 831 345 Z"),),
        (834, 330),
        (_MIDDLE, 320),
        "left",
    ),
)


def bounds(shape: Shape) -> tuple[float, float, float, float]:
    """A shape's bounding box ``(left, top, right, bottom)`` (a path's by its points, control
    points included: never smaller than the curve)."""
    if shape[0] == "ellipse":
        _, cx, cy, rx, ry = shape
        return (cx - rx, cy - ry, cx + rx, cy + ry)
    if shape[0] == "rect":
        _, x, y, width, height = shape
        return (x, y, x + width, y + height)
    numbers = [float(token) for token in str(shape[1]).split() if not token.isalpha()]
    xs, ys = numbers[0::2], numbers[1::2]
    return (min(xs), min(ys), max(xs), max(ys))


def _hits(code: str, shapes: tuple[Shape, ...]) -> tuple[Shape, ...]:
    dx, dy = _HIT_OFFSETS.get(code, (0.0, 0.0))
    found: list[Shape] = []
    for shape in shapes:
        left, top, right, bottom = bounds(shape)
        width, height = right - left, bottom - top
        if width >= MIN_HIT and height >= MIN_HIT:
            continue
        wide, high = max(width, MIN_HIT), max(height, MIN_HIT)
        x = (left + right - wide) / 2 + dx
        y = (top + bottom - high) / 2 + dy
        found.append(("rect", round(x, 1), round(y, 1), round(wide, 1), round(high, 1)))
    return tuple(found)


def _drawing(
    code: str,
    dx: float,
    shapes: tuple[Shape, ...],
    anchor: tuple[float, float],
    label: tuple[float, float],
    side: str,
) -> ZoneDrawing:
    moved = tuple(_shift(shape, dx) for shape in shapes)
    return ZoneDrawing(code, moved, (anchor[0] + dx, anchor[1]), label, side, _hits(code, moved))


ZONES: dict[str, ZoneDrawing] = {item[0]: _drawing(*item) for item in _RAW}

_FACE_OUTLINES: tuple[Shape, ...] = (
    ("ellipse", 103, 282, 12, 26),
    ("ellipse", 357, 282, 12, 26),
    ("ellipse", 230, 275, 125, 165),
)
_FRONT_OUTLINES: tuple[Shape, ...] = (
    ("ellipse", 620, 74, 27, 30),
    ("path", "M 609 100 L 631 100 L 632 120 L 608 120 Z"),
    ("path", "M 572 118 L 668 118 L 660 320 L 580 320 Z"),
    ("path", "M 580 320 L 660 320 L 662 346 L 578 346 Z"),
    ("path", "M 588 452 L 612 452 L 608 530 L 592 530 Z"),
    ("path", "M 628 452 L 652 452 L 648 530 L 632 530 Z"),
)
_BACK_OUTLINES: tuple[Shape, ...] = (
    ("ellipse", 870, 74, 27, 30),
    ("path", "M 859 100 L 881 100 L 882 120 L 858 120 Z"),
    ("path", "M 822 118 L 918 118 L 910 320 L 830 320 Z"),
    ("path", _BACK_ARM_LEFT),
    ("path", _mirror(_BACK_ARM_LEFT, BACK_AXIS)),
    ("ellipse", 794, 306, 12, 18),
    ("ellipse", 946, 306, 12, 18),
    ("path", _BACK_THIGH_LEFT),
    ("path", _mirror(_BACK_THIGH_LEFT, BACK_AXIS)),
    ("path", "M 838 452 L 862 452 L 858 530 L 842 530 Z"),
    ("path", "M 878 452 L 902 452 L 898 530 L 882 530 Z"),
)

#: Outlines drawn under the zones (not clickable).
OUTLINES: tuple[Shape, ...] = (
    *(_shift(shape, FACE_DX) for shape in _FACE_OUTLINES),
    *(_shift(shape, FRONT_DX) for shape in _FRONT_OUTLINES),
    *(_shift(shape, BACK_DX) for shape in _BACK_OUTLINES),
)

CAPTIONS = (
    ("Face", FACE_AXIS + FACE_DX, 28),
    ("Body, front", FRONT_AXIS + FRONT_DX, 28),
    ("Body, back", BACK_AXIS + BACK_DX, 28),
)

#: Depth classes for the fill: the deepest point of the range.
DEPTH_CLASSES = ((0.5, "d1"), (1.0, "d2"), (1.5, "d3"), (99.0, "d4"))


def depth_class(max_mm: float) -> str:
    for limit, name in DEPTH_CLASSES:
        if max_mm <= limit:
            return name
    return "d4"


def _mm(value: float) -> str:
    return f"{value:g}"


def map_view(
    kb: KnowledgeBase,
    selected: dict[str, dict[str, Any]],
    *,
    interactive: bool = True,
) -> dict[str, Any]:
    """What the template draws. ``selected``: zone → ``{"concern": label or None,
    "depth": {"min", "max", "start"} or None}``; a zone without a depth is drawn as pending."""
    zones = []
    for code in kb.zones:
        drawing = ZONES.get(code)
        if drawing is None:  # a zone added to the knowledge base without a shape: list only
            continue
        chosen = selected.get(code)
        depth = chosen.get("depth") if chosen else None
        name = zone_label(code)
        lx, ly = drawing.label
        line_end = (lx + LABEL_WIDTH, ly + 20) if drawing.side == "right" else (lx, ly + 20)
        if depth:
            text = f"{_mm(depth['min'])}–{_mm(depth['max'])} mm"
            css = f"selected {depth_class(float(depth['max']))}"
            described = f"{name}: {chosen['concern']}, depth {text}" if chosen else name
        elif chosen:
            text = "concern?" if not chosen.get("concern") else "…"
            css = "selected pending"
            described = f"{name}: selected, {text}"
        else:
            text = ""
            css = ""
            described = f"{name}: not selected"
        zones.append(
            {
                "code": code,
                "name": name,
                "shapes": drawing.shapes,
                "hits": drawing.hits,
                "anchor": drawing.anchor,
                "label": drawing.label,
                "line_end": line_end,
                "depth_text": text,
                "css": css,
                "selected": chosen is not None,
                "described": described,
            }
        )
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "label_width": LABEL_WIDTH,
        "zones": zones,
        "outlines": OUTLINES,
        "captions": CAPTIONS,
        "interactive": interactive,
    }
