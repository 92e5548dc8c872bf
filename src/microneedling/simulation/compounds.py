"""Compounds the uptake model knows: physical data with their sources (MODELS.md §3.2, §3.3).

Each number is a :class:`~microneedling.simulation.params.Param` record named
``compound.<key>.<field>`` (collected into :data:`COMPOUND_PARAMS`, which
:mod:`microneedling.simulation.params_transport` adds to the parameter table). Transport uses the
molecular weight of the species that diffuses (the free base for salts); donor concentrations are
amounts of the named form per mL of vehicle.

Sources outside the MODELS.md §7 bibliography: ``Hansch1995`` (Hansch C, Leo A, Hoekman D.
*Exploring QSAR: Hydrophobic, Electronic, and Steric Constants*. ACS; 1995) for measured log Kow.
Every log Kow here was transcribed from memory of that compilation or of database entries and is
``to_verify``. Molecular weights are computed from the formula (standard atomic weights) and are
``derived``. Default donor concentrations for cosmetic actives are typical product strengths and
are ``assumption``.
"""

from __future__ import annotations

from dataclasses import dataclass

from microneedling.errors import UserError
from microneedling.simulation.params import Param, Status


def _p(
    key: str, field: str, value: float, unit: str, source: str, status: Status, note: str
) -> Param:
    return Param(f"compound.{key}.{field}", value, unit, source, status, note)


COMPOUND_PARAMS: tuple[Param, ...] = (
    # --- naloxone hydrochloride: the calibration compound (Int J Pharm 2021) ----------------------
    _p(
        "naloxone_hcl",
        "mw_g_per_mol",
        327.37,
        "g/mol",
        "derived",
        "derived",
        "Naloxone free base C19H21NO4 (the diffusing species); the HCl salt is 363.84 g/mol.",
    ),
    _p(
        "naloxone_hcl",
        "log_kow",
        2.09,
        "1",
        "Hansch1995",
        "to_verify",
        "Octanol/water, neutral base; pKa about 7.9, so largely ionised at skin pH.",
    ),
    # --- naltrexone: Wermeling 2008 human patch after microneedles --------------------------------
    _p(
        "naltrexone",
        "mw_g_per_mol",
        341.40,
        "g/mol",
        "derived",
        "derived",
        "Naltrexone free base C20H23NO4; the HCl salt used in patches is 377.86 g/mol.",
    ),
    _p(
        "naltrexone",
        "log_kow",
        1.92,
        "1",
        "Hansch1995",
        "to_verify",
        "Octanol/water, neutral base.",
    ),
    _p(
        "naltrexone",
        "donor_mg_per_ml",
        100.0,
        "mg/mL",
        "assumption",
        "assumption",
        "Placeholder gel strength; Wermeling 2008 patch loading not transcribed. Only ratios "
        "(time to steady state, decay by 48 h) are compared, and they do not depend on it.",
    ),
    # --- roller negative control (Pharmaceutics 2015, PMC4695825) ---------------------------------
    _p(
        "amantadine_hcl",
        "mw_g_per_mol",
        151.25,
        "g/mol",
        "derived",
        "derived",
        "Amantadine free base C10H17N; the HCl salt is 187.71 g/mol (as on US labels).",
    ),
    _p(
        "amantadine_hcl",
        "log_kow",
        2.44,
        "1",
        "Hansch1995",
        "to_verify",
        "Octanol/water, neutral base; pKa about 10.1, so almost fully ionised at skin pH.",
    ),
    _p(
        "pramipexole",
        "mw_g_per_mol",
        211.33,
        "g/mol",
        "derived",
        "derived",
        "Pramipexole free base C10H17N3S; the dihydrochloride monohydrate is 302.26 g/mol.",
    ),
    _p(
        "pramipexole",
        "log_kow",
        0.4,
        "1",
        "assumption",
        "to_verify",
        "Uncertain (could not be checked offline; values from about 0.4 to 2 circulate). Not used "
        "by the negative control, which takes the measured passive flux; used by the CLI through "
        "Potts-Guy only.",
    ),
    # --- cosmetic actives a clinic applies after needling -----------------------------------------
    _p(
        "ascorbic_acid",
        "mw_g_per_mol",
        176.12,
        "g/mol",
        "derived",
        "derived",
        "L-ascorbic acid C6H8O6.",
    ),
    _p("ascorbic_acid", "log_kow", -1.85, "1", "Hansch1995", "to_verify", "Octanol/water."),
    _p(
        "ascorbic_acid",
        "donor_mg_per_ml",
        150.0,
        "mg/mL",
        "assumption",
        "assumption",
        "A 15 % serum, a common product strength. Soltani-Arabshahi 2014 reports granulomas after "
        "needling with a vitamin C serum: MODELS.md §3.4.",
    ),
    _p(
        "hyaluronic_acid_50kda",
        "mw_g_per_mol",
        50_000.0,
        "g/mol",
        "assumption",
        "assumption",
        "A typical low-molecular-weight cosmetic hyaluronan; products range from a few kDa to "
        "more than 1 MDa. Outside the Potts-Guy (MW below about 500) and Kretsos data range.",
    ),
    _p(
        "hyaluronic_acid_50kda",
        "log_kow",
        -4.0,
        "1",
        "assumption",
        "assumption",
        "Polyanion, no meaningful octanol/water partition; -4 only makes the intact route "
        "negligible (Potts-Guy at this MW gives about 0 anyway).",
    ),
    _p(
        "hyaluronic_acid_50kda",
        "donor_mg_per_ml",
        2.0,
        "mg/mL",
        "assumption",
        "assumption",
        "A 0.2 % serum, a common product strength.",
    ),
    _p(
        "hyaluronic_acid_1mda",
        "mw_g_per_mol",
        1_000_000.0,
        "g/mol",
        "assumption",
        "assumption",
        "A typical high-molecular-weight hyaluronan (1 MDa); far outside the correlations' range.",
    ),
    _p(
        "hyaluronic_acid_1mda",
        "log_kow",
        -4.0,
        "1",
        "assumption",
        "assumption",
        "As for the 50 kDa form.",
    ),
    _p(
        "hyaluronic_acid_1mda",
        "donor_mg_per_ml",
        2.0,
        "mg/mL",
        "assumption",
        "assumption",
        "A 0.2 % serum.",
    ),
    _p("retinol", "mw_g_per_mol", 286.46, "g/mol", "derived", "derived", "Retinol C20H30O."),
    _p(
        "retinol",
        "log_kow",
        5.68,
        "1",
        "assumption",
        "to_verify",
        "Estimated (fragment method), no measured value at hand; strongly lipophilic.",
    ),
    _p(
        "retinol",
        "donor_mg_per_ml",
        3.0,
        "mg/mL",
        "assumption",
        "assumption",
        "A 0.3 % product in an oily vehicle.",
    ),
    _p(
        "retinol",
        "aqueous_solubility_mg_per_ml",
        0.001,
        "mg/mL",
        "assumption",
        "to_verify",
        "Order of magnitude only (practically insoluble in water). The model's donor is aqueous, "
        "so the concentration at the channel wall and for the intact route is capped at this "
        "value.",
    ),
)

_BY_NAME: dict[str, Param] = {record.name: record for record in COMPOUND_PARAMS}


@dataclass(frozen=True, slots=True)
class Compound:
    """One compound as the uptake model sees it. ``donor_mg_per_ml`` is None when the compound
    has no default product strength (the caller must give one, or a calibration supplies it)."""

    key: str
    name: str
    molecular_weight_g_per_mol: float
    log_kow: float
    donor_mg_per_ml: float | None
    aqueous_solubility_mg_per_ml: float | None
    note: str

    @property
    def param_names(self) -> tuple[str, ...]:
        """Names of the records this compound's numbers come from."""
        prefix = f"compound.{self.key}."
        return tuple(name for name in _BY_NAME if name.startswith(prefix))

    def effective_donor_mg_per_ml(self, donor_mg_per_ml: float) -> float:
        """The aqueous concentration the skin sees: the donor, capped at aqueous solubility."""
        if self.aqueous_solubility_mg_per_ml is None:
            return donor_mg_per_ml
        return min(donor_mg_per_ml, self.aqueous_solubility_mg_per_ml)


_NAMES: dict[str, tuple[str, str]] = {
    "naloxone_hcl": ("Naloxone hydrochloride", "Calibration compound (Int J Pharm 2021)."),
    "naltrexone": ("Naltrexone", "Wermeling 2008 human patch after microneedles."),
    "amantadine_hcl": ("Amantadine hydrochloride", "Roller negative control (PMC4695825)."),
    "pramipexole": ("Pramipexole dihydrochloride", "Roller negative control (PMC4695825)."),
    "ascorbic_acid": ("L-ascorbic acid (vitamin C)", "Cosmetic active; granuloma reports."),
    "hyaluronic_acid_50kda": ("Hyaluronic acid, 50 kDa", "Cosmetic active, low-MW form."),
    "hyaluronic_acid_1mda": ("Hyaluronic acid, 1 MDa", "Cosmetic active, high-MW form."),
    "retinol": ("Retinol", "Cosmetic retinoid, oily vehicle."),
}

#: Accepted spellings on the command line (lower case) for each compound key.
ALIASES: dict[str, str] = {
    "naloxone": "naloxone_hcl",
    "amantadine": "amantadine_hcl",
    "vitamin_c": "ascorbic_acid",
    "hyaluronic_acid": "hyaluronic_acid_50kda",
    "ha": "hyaluronic_acid_50kda",
    "ha_50kda": "hyaluronic_acid_50kda",
    "ha_1mda": "hyaluronic_acid_1mda",
}


def compound_keys() -> tuple[str, ...]:
    """Every compound key, in table order."""
    return tuple(_NAMES)


def _optional(name: str) -> float | None:
    record = _BY_NAME.get(name)
    return None if record is None else record.value


def compound(name: str) -> Compound:
    """The compound called ``name`` (a key or an alias, any case, ``-`` or ``_``)."""
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    key = ALIASES.get(key, key)
    if key not in _NAMES:
        known = ", ".join(compound_keys())
        raise UserError(f"unknown compound {name!r}; known: {known}", field="compound")
    title, note = _NAMES[key]
    return Compound(
        key=key,
        name=title,
        molecular_weight_g_per_mol=_BY_NAME[f"compound.{key}.mw_g_per_mol"].value,
        log_kow=_BY_NAME[f"compound.{key}.log_kow"].value,
        donor_mg_per_ml=_optional(f"compound.{key}.donor_mg_per_ml"),
        aqueous_solubility_mg_per_ml=_optional(f"compound.{key}.aqueous_solubility_mg_per_ml"),
        note=note,
    )
