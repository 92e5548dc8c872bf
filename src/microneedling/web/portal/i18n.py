"""The portal's words through one gettext catalogue (domain ``portal``), so a clinic can
translate them.

Templates use ``{{ _("...") }}`` and ``{% trans %}``; Python code uses :func:`_` (and
:func:`N_` to mark a string translated later). The catalogue's template is
``web/portal/locale/portal.pot`` (``pybabel extract -F babel.cfg``, see docs/portal.md); a
clinic's translation goes to ``web/portal/locale/<locale>/LC_MESSAGES/portal.mo`` and is
chosen with ``MICRONEEDLING_PORTAL_LOCALE`` (English, the source language, by default).
"""

from __future__ import annotations

import gettext as _gettext
import os
from functools import cache
from pathlib import Path
from typing import Any

from babel.support import NullTranslations, Translations
from jinja2 import Environment

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "portal"
DEFAULT_LOCALE = "en"


def locale_name() -> str:
    """The portal's language (``MICRONEEDLING_PORTAL_LOCALE``; ``en`` unless set)."""
    return os.environ.get("MICRONEEDLING_PORTAL_LOCALE", "").strip() or DEFAULT_LOCALE


@cache
def translations(locale: str | None = None) -> _gettext.NullTranslations:
    """The catalogue for ``locale`` (English, the strings as written, when there is none)."""
    chosen = locale or locale_name()
    if chosen == DEFAULT_LOCALE:
        return NullTranslations()
    return Translations.load(str(LOCALE_DIR), [chosen], domain=DOMAIN)


def _(message: str) -> str:
    """``message`` in the portal's language."""
    return translations().gettext(message)


def N_(message: str) -> str:
    """Marks ``message`` for the catalogue; translated where it is shown."""
    return message


def portal_templates(app: Any) -> Environment:
    """The staff templates' environment with the i18n extension and the portal's catalogue
    installed (one per application, made on first use)."""
    cache_of: dict[str, Any] = app.cache
    found = cache_of.get("portal_templates")
    if found is None:
        base: Environment = app.templates
        found = base.overlay(extensions=["jinja2.ext.i18n"])
        found.install_gettext_translations(translations(), newstyle=True)  # type: ignore[attr-defined]
        cache_of["portal_templates"] = found
    return found
