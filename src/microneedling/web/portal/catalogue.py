"""The portal's message catalogue template (``locale/portal.pot``): every string a patient reads.

``python -m microneedling.web.portal.catalogue`` writes it again from the portal's templates
(``{{ _("...") }}``), its Python code (``_("...")``) and its words kept as data (the questions,
the areas of the body, the sections); ``tests/portal/test_portal_catalogue.py`` checks it is up
to date. A clinic translates it with Babel's tools (docs/portal.md).
"""

from __future__ import annotations

import io
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import write_po

from microneedling.services.portal.plain_dates import EXAMPLES
from microneedling.services.portal.questions import QUESTIONS, SECTIONS, ZONE_WORDS
from microneedling.web.portal.i18n import DOMAIN, LOCALE_DIR

WEB = Path(__file__).resolve().parent.parent
POT = LOCALE_DIR / f"{DOMAIN}.pot"
#: Words the portal shows that are data, not literals in a template or a call of ``_``.
DATA_FILE = "services/portal/questions.py"


def _data_strings() -> list[str]:
    found: list[str] = [EXAMPLES, "Face", "Neck and body"]
    for question, thing in QUESTIONS.values():
        found += [question, thing]
    found += list(ZONE_WORDS.values())
    found += [heading for _name, _kind, heading in SECTIONS]
    return found


def build() -> Catalog:
    catalog = Catalog(project="microneedling patient portal", domain=DOMAIN,
                      fuzzy=False)  # fmt: skip
    sources = [
        (WEB / "templates", [("portal/**.j2", "jinja2.ext:babel_extract")],
         {"portal/**.j2": {"extensions": "jinja2.ext.i18n", "trimmed": "false"}}),
        (WEB / "portal", [("**.py", "python")], {}),
    ]  # fmt: skip
    for folder, method_map, options in sources:
        for filename, line, message, _comments, _context in extract_from_dir(
            str(folder), method_map, options_map=options
        ):
            if isinstance(message, str) and message:
                catalog.add(message, locations=[(f"{folder.name}/{filename}", line)])
    for text in _data_strings():
        catalog.add(text, locations=[(DATA_FILE, 0)])
    return catalog


def render() -> bytes:
    buffer = io.BytesIO()
    write_po(buffer, build(), omit_header=False, sort_output=True, width=100,
             no_location=False, include_lineno=False)  # fmt: skip
    lines = [
        line
        for line in buffer.getvalue().decode("utf-8").splitlines()
        if not line.startswith(
            ('"POT-Creation-Date', '"Generated-By', "# Copyright", '"Project-Id', "# FIRST AUTHOR")
        )
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


def main() -> None:
    POT.parent.mkdir(parents=True, exist_ok=True)
    POT.write_bytes(render())
    print(f"wrote {POT}")


if __name__ == "__main__":
    main()
