"""Skin layers by zone and the layer a given depth reaches (MODELS.md §2.2-§2.3).

Every layer of every anatomical site has a point value and a lower/upper bound, built from the
``skin.*`` parameter records by these rules:

- **Point value:** the sex's Meng 2022 ultrasound value (sex unknown: the smaller of the two);
  else a site's histology mean or single value; else the midpoint of a Lee & Hwang group range;
  else the default ("A" in MODELS.md), which is an assumption.
- **Bounds:** the envelope of every value cited for that layer at that site: mean -/+ 1 SD where an
  SD is given, mean x (1 -/+ cv) for ultrasound values without SD
  (``skin.ultrasound_between_person_cv``), group ranges as given, and the other cited values. With
  sex unknown, both sexes' bands.
- **Dermis from an ultrasound total** (Laurent 2007): total - default t_SC - default t_VE.

A product zone that covers several anatomical sites (``periorbital``, ``arms``) takes, layer by
layer, the smallest point value and the widest band of its sites.

Depths and thicknesses are in µm.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, get_args

from microneedling.errors import UserError
from microneedling.simulation.params import get, value

Sex = Literal["female", "male"]
Bound = Literal["point", "lower", "upper"]
Layer = Literal[
    "stratum_corneum",
    "viable_epidermis",
    "papillary_dermis",
    "reticular_dermis",
    "below_dermis",
]
LAYERS: tuple[Layer, ...] = get_args(Layer)

#: Anatomical sites of MODELS.md §2.3, in table order, and whether the facial epidermis default
#: (Chopra) or the body default (Xu) applies to them.
SITES_FACE: tuple[str, ...] = (
    "forehead",
    "glabella",
    "temple",
    "eyelid",
    "nose",
    "cheek",
    "upper_lip",
    "chin_jaw",
    "post_auricular",
)
SITES_BODY: tuple[str, ...] = (
    "neck",
    "chest",
    "back",
    "shoulder",
    "upper_arm",
    "forearm",
    "hand_dorsum",
    "abdomen",
    "thigh",
    "buttock",
    "scalp",
)
SITES: tuple[str, ...] = SITES_FACE + SITES_BODY

#: The clinic's treatment zones (knowledge base ``zones.yaml``) and the sites they are read from.
#: ``periorbital`` is treated outside the orbital rim only, where no source measures the skin: it
#: takes the temple and the eyelid together (thinnest point, widest band), so thin skin near the rim
#: is not missed by the beyond-dermis flag. ``arms`` takes the upper arm (dermis from ultrasound)
#: and the forearm (epidermis from histology) together.
ZONE_SITES: dict[str, tuple[str, ...]] = {
    "forehead": ("forehead",),
    "glabella": ("glabella",),
    "periorbital": ("temple", "eyelid"),
    "nose": ("nose",),
    "cheeks": ("cheek",),
    "perioral": ("upper_lip",),
    "chin": ("chin_jaw",),
    "jawline": ("chin_jaw",),
    "neck": ("neck",),
    "decolletage": ("chest",),
    "scalp": ("scalp",),
    "hands": ("hand_dorsum",),
    "arms": ("upper_arm", "forearm"),
    "abdomen": ("abdomen",),
    "back": ("back",),
    "buttocks": ("buttock",),
    "thighs": ("thigh",),
}
ZONES: tuple[str, ...] = tuple(ZONE_SITES)


@dataclass(frozen=True, slots=True)
class LayerThickness:
    """One layer's thickness at a site, with the evidence behind it."""

    point_um: float
    lower_um: float
    upper_um: float
    sources: tuple[str, ...]
    params: tuple[str, ...]
    assumed: bool
    """True when the point value is a default or derived from defaults (MODELS.md "A")."""

    def at(self, bound: Bound) -> float:
        if bound == "point":
            return self.point_um
        return self.lower_um if bound == "lower" else self.upper_um


@dataclass(frozen=True, slots=True)
class LayerStack:
    """Stratum corneum, viable epidermis and dermis of a zone, for one sex (or sex unknown)."""

    zone: str
    sites: tuple[str, ...]
    sex: Sex | None
    stratum_corneum: LayerThickness
    viable_epidermis: LayerThickness
    dermis: LayerThickness
    papillary_share: float

    def epidermis_um(self, bound: Bound = "point") -> float:
        """Stratum corneum plus viable epidermis: the depth where the dermis starts."""
        return self.stratum_corneum.at(bound) + self.viable_epidermis.at(bound)

    def layer_bottoms_um(self, bound: Bound = "point") -> tuple[float, float, float, float]:
        """Depths of the bottom of stratum corneum, viable epidermis, papillary and reticular
        dermis, all layers taken at ``bound``."""
        sc = self.stratum_corneum.at(bound)
        ve = sc + self.viable_epidermis.at(bound)
        dermis = self.dermis.at(bound)
        return sc, ve, ve + self.papillary_share * dermis, ve + dermis

    @property
    def params(self) -> tuple[str, ...]:
        """Names of every parameter record this stack was built from."""
        names = (
            *self.stratum_corneum.params,
            *self.viable_epidermis.params,
            *self.dermis.params,
            "skin.papillary_share",
        )
        return tuple(dict.fromkeys(names))

    @property
    def sources(self) -> tuple[str, ...]:
        names = (
            *self.stratum_corneum.sources,
            *self.viable_epidermis.sources,
            *self.dermis.sources,
        )
        return tuple(dict.fromkeys(names))


@dataclass(frozen=True, slots=True)
class LayerReach:
    """The layer a depth reaches, at the point values and at both bounds of a zone's stack.

    The lower bound is the thinnest stack, so it gives the deepest layer; ``beyond_dermis`` is
    the safety flag: the depth passes the dermis in at least the thinnest plausible skin.
    """

    depth_um: float
    at_point: Layer
    at_lower_bound: Layer
    at_upper_bound: Layer

    @property
    def bounds_agree(self) -> bool:
        return self.at_lower_bound == self.at_upper_bound

    @property
    def beyond_dermis(self) -> bool:
        return "below_dermis" in (self.at_point, self.at_lower_bound, self.at_upper_bound)

    @property
    def description(self) -> str:
        """``reticular_dermis`` or ``papillary_dermis to reticular_dermis`` when bounds disagree."""
        if self.bounds_agree:
            return self.at_lower_bound
        return f"{self.at_upper_bound} to {self.at_lower_bound}"


def _checked_sex(sex: str | None) -> Sex | None:
    if sex is None:
        return None
    if sex == "female":
        return "female"
    if sex == "male":
        return "male"
    raise UserError(f"expected 'female', 'male' or nothing (unknown), got {sex!r}", field="sex")


def _normalise(name: str) -> str:
    return "_".join(name.strip().lower().replace("-", " ").replace("/", " ").split())


def sites_for_zone(zone: str) -> tuple[str, ...]:
    """The anatomical sites a zone is read from. Accepts the clinic's zone codes and the site
    names themselves (``upper_lip``, ``chin_jaw``...); raises :class:`UserError` otherwise."""
    key = _normalise(zone)
    if key in ZONE_SITES:
        return ZONE_SITES[key]
    if key in SITES:
        return (key,)
    raise UserError(
        f"unknown zone {zone!r}; expected one of: {', '.join(ZONES)} (or a site: {', '.join(SITES)})",
        field="zone",
    )


# --- building one layer from the records -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Evidence:
    """A point candidate or a band contribution, with the records it came from."""

    lower_um: float
    upper_um: float
    params: tuple[str, ...]


def _has(name: str) -> bool:
    try:
        get(name)
    except KeyError:
        return False
    return True


def _layer(
    point_um: float,
    point_params: tuple[str, ...],
    band: Iterable[_Evidence],
    assumed: bool,
) -> LayerThickness:
    evidence = list(band)
    lower = min([point_um, *(item.lower_um for item in evidence)])
    upper = max([point_um, *(item.upper_um for item in evidence)])
    params = tuple(dict.fromkeys((*point_params, *(n for item in evidence for n in item.params))))
    sources = tuple(dict.fromkeys(get(name).source for name in params))
    return LayerThickness(point_um, lower, upper, sources, params, assumed)


def _mean_sd(name: str) -> tuple[float, _Evidence]:
    """``skin.<site>.<layer>_um`` with its ``_sd_um`` partner (if any) as a -/+ 1 SD band."""
    mean = value(name)
    sd_name = name.removesuffix("_um") + "_sd_um"
    if _has(sd_name):
        sd = value(sd_name)
        return mean, _Evidence(mean - sd, mean + sd, (name, sd_name))
    return mean, _Evidence(mean, mean, (name,))


def _ultrasound(name: str) -> _Evidence:
    """An ultrasound value: its own SD band if given, else the assumed between-person spread."""
    mean = value(name)
    sd_name = name.removesuffix("_um") + "_sd_um"
    if _has(sd_name):
        sd = value(sd_name)
        return _Evidence(mean - sd, mean + sd, (name, sd_name))
    cv_name = "skin.ultrasound_between_person_cv"
    cv = value(cv_name)
    return _Evidence(mean * (1 - cv), mean * (1 + cv), (name, cv_name))


def _group(prefix: str) -> tuple[float, _Evidence]:
    lower_name, upper_name = f"{prefix}_group_lower_um", f"{prefix}_group_upper_um"
    lower, upper = value(lower_name), value(upper_name)
    return (lower + upper) / 2, _Evidence(lower, upper, (lower_name, upper_name))


def _default(name: str, lower_name: str, upper_name: str | None) -> LayerThickness:
    point = value(name)
    band = [_Evidence(value(lower_name), value(lower_name), (lower_name,))]
    if upper_name is not None:
        band.append(_Evidence(value(upper_name), value(upper_name), (upper_name,)))
    return _layer(point, (name,), band, assumed=True)


def _default_stratum_corneum() -> LayerThickness:
    base = "skin.default.stratum_corneum"
    return _default(f"{base}_um", f"{base}_lower_um", f"{base}_upper_um")


def _default_viable_epidermis(site: str) -> LayerThickness:
    base = "skin.default.viable_epidermis_" + ("face" if site in SITES_FACE else "body")
    return _default(f"{base}_um", f"{base}_lower_um", f"{base}_upper_um")


def _site_stratum_corneum(site: str) -> LayerThickness:
    prefix = f"skin.{site}.stratum_corneum"
    if not _has(f"{prefix}_um"):
        return _default_stratum_corneum()
    point, own = _mean_sd(f"{prefix}_um")
    band = [own]
    if _has(f"{prefix}_volar_um"):
        volar = value(f"{prefix}_volar_um")
        band.append(_Evidence(volar, volar, (f"{prefix}_volar_um",)))
    return _layer(point, own.params[:1], band, assumed=False)


def _site_viable_epidermis(site: str) -> LayerThickness:
    prefix = f"skin.{site}.viable_epidermis"
    if _has(f"{prefix}_um"):
        point, own = _mean_sd(f"{prefix}_um")
        return _layer(point, own.params[:1], [own], assumed=False)
    if _has(f"{prefix}_group_lower_um"):
        point, own = _group(prefix)
        return _layer(point, own.params, [own], assumed=False)
    return _default_viable_epidermis(site)


def _site_dermis(site: str, sex: Sex | None) -> LayerThickness:
    prefix = f"skin.{site}.dermis"
    band: list[_Evidence] = []
    point: float | None = None
    point_params: tuple[str, ...] = ()
    assumed = False

    if _has(f"{prefix}_male_um"):
        male, female = f"{prefix}_male_um", f"{prefix}_female_um"
        if sex is None:  # unknown: the smaller Meng value, both sexes' bands
            point_params = (male,) if value(male) < value(female) else (female,)
            band.extend([_ultrasound(male), _ultrasound(female)])
        else:
            point_params = (male,) if sex == "male" else (female,)
            band.append(_ultrasound(point_params[0]))
        point = value(point_params[0])
    if _has(f"{prefix}_um"):  # histology, single value
        histology = value(f"{prefix}_um")
        band.append(_Evidence(histology, histology, (f"{prefix}_um",)))
        if point is None:
            point, point_params = histology, (f"{prefix}_um",)
    if _has(f"{prefix}_group_lower_um"):
        midpoint, group = _group(prefix)
        band.append(group)
        if point is None:
            point, point_params = midpoint, group.params
    for extra in (f"{prefix}_chopra_um", f"{prefix}_sidewall_um"):
        if _has(extra):
            band.append(_Evidence(value(extra), value(extra), (extra,)))
    total_name = f"skin.{site}.total_ultrasound_um"
    if _has(total_name):
        total = _ultrasound(total_name)
        sc, ve = _default_stratum_corneum(), _default_viable_epidermis(site)
        epidermis = sc.point_um + ve.point_um
        defaults = (*sc.params[:1], *ve.params[:1])
        from_total = _Evidence(
            total.lower_um - epidermis, total.upper_um - epidermis, (*total.params, *defaults)
        )
        band.append(from_total)
        if point is None:
            point = value(total_name) - epidermis
            point_params = (total_name, *defaults)
            assumed = True
    if point is None:
        base = "skin.default.dermis"
        return _default(f"{base}_um", f"{base}_um", f"{base}_upper_um")
    return _layer(point, point_params, band, assumed)


def _combine(layers: list[LayerThickness]) -> LayerThickness:
    """Several sites read as one zone: the smallest point value, the widest band."""
    if len(layers) == 1:
        return layers[0]
    thinnest = min(layers, key=lambda layer: layer.point_um)
    return LayerThickness(
        point_um=thinnest.point_um,
        lower_um=min(layer.lower_um for layer in layers),
        upper_um=max(layer.upper_um for layer in layers),
        sources=tuple(dict.fromkeys(s for layer in layers for s in layer.sources)),
        params=tuple(dict.fromkeys(p for layer in layers for p in layer.params)),
        assumed=thinnest.assumed,
    )


def layer_stack(zone: str, sex: str | None = None) -> LayerStack:
    """The layer stack of a treatment zone (or anatomical site) for ``sex`` (None: unknown)."""
    sites = sites_for_zone(zone)
    checked_sex = _checked_sex(sex)
    return LayerStack(
        zone=_normalise(zone),
        sites=sites,
        sex=checked_sex,
        stratum_corneum=_combine([_site_stratum_corneum(site) for site in sites]),
        viable_epidermis=_combine([_site_viable_epidermis(site) for site in sites]),
        dermis=_combine([_site_dermis(site, checked_sex) for site in sites]),
        papillary_share=value("skin.papillary_share"),
    )


def classify_depth(depth_um: float, stack: LayerStack, bound: Bound = "point") -> Layer:
    """The layer a depth ends in, every layer of ``stack`` taken at ``bound`` (MODELS.md §2.2)."""
    for layer, bottom in zip(LAYERS, stack.layer_bottoms_um(bound), strict=False):
        if depth_um <= bottom:
            return layer
    return "below_dermis"


def layer_reached(depth_um: float, stack: LayerStack) -> LayerReach:
    """The layer a depth reaches at the point values and at the zone's lower and upper bounds."""
    if not depth_um >= 0:
        raise UserError(f"expected a depth of 0 µm or more, got {depth_um}", field="depth_um")
    return LayerReach(
        depth_um=depth_um,
        at_point=classify_depth(depth_um, stack, "point"),
        at_lower_bound=classify_depth(depth_um, stack, "lower"),
        at_upper_bound=classify_depth(depth_um, stack, "upper"),
    )
