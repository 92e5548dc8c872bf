"""The normalised columns a patient is found by (``patient.search_name``, ``phone_digits``).

``search_name`` is the given and family name as searched: lower case (case-folded), accents
taken off, hyphens, dots, commas and the like a space, apostrophes dropped (``O'Brien`` is
``obrien``), with a space before and after (`` sara smits ``, `` anne de boer ``),
so that "a word starting with ``boer``" is ``LIKE '% boer%'`` on every backend. ``phone_digits``
is the phone number's digits alone. Both are set whenever a patient row is written (the mapper
events below), so no use case can forget them; migration 0006 filled them for older rows.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from sqlalchemy import event

from microneedling.store.models import Patient

#: What separates the words of a name; any other character is part of a word (kept literally).
_SEPARATORS = re.compile(r"[\s\-‐‑–—.,;:/()\[\]\"“”]+")


def fold(text: str) -> str:
    """``"Zoë O'Brien-Müller"`` → ``"zoe obrien muller"``: the words of a name as searched."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    bare = bare.replace("ø", "o").replace("æ", "ae").replace("œ", "oe").replace("ł", "l")
    bare = bare.replace("'", "").replace("’", "")
    return " ".join(_SEPARATORS.sub(" ", bare).split())


def search_name(given_name: str, family_name: str) -> str:
    """The value of ``patient.search_name``: `` given family `` folded."""
    return f" {fold(given_name)} {fold(family_name)} ".replace("  ", " ")


def digits(text: str | None) -> str | None:
    """A phone number's digits (``"+31 6-1234 5678"`` → ``"31612345678"``), None without any."""
    found = "".join(ch for ch in text or "" if ch.isdigit() and ch.isascii())
    return found or None


def like_literal(text: str) -> str:
    """``text`` for a LIKE pattern with escape character ``\\``: ``%`` and ``_`` taken literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@event.listens_for(Patient, "before_insert")
@event.listens_for(Patient, "before_update")
def _keep_search_columns(_mapper: Any, _connection: Any, patient: Patient) -> None:
    patient.search_name = search_name(patient.given_name, patient.family_name)
    patient.phone_digits = digits(patient.phone)
