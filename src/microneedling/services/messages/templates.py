"""What each message says: Jinja2 templates (plain text and HTML for e-mail, plain text for SMS),
rendered when the message is sent.

Privacy: the subject of an e-mail and the whole of an SMS carry only the clinic's name, the day
and time and a link — never a concern, a treatment detail or a medication (a phone's lock screen
and a shared inbox show them). E-mail bodies carry what the patient's own handout carries.
The ``PRIVATE_WORDS`` test list checks it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from jinja2 import DictLoader, StrictUndefined, select_autoescape
from jinja2.sandbox import SandboxedEnvironment

#: The subject line (e-mail) of each kind; also the opening of its SMS.
SUBJECTS = {
    "confirmation": "{{ clinic }}: your appointment on {{ when }} is booked",
    "moved": "{{ clinic }}: your appointment has moved to {{ when }}",
    "cancelled": "{{ clinic }}: your appointment on {{ when }} is cancelled",
    "reminder_48h": "{{ clinic }}: reminder of your appointment on {{ when }}",
    "reminder_2h": "{{ clinic }}: see you today at {{ time }}",
    "precare_7d": "{{ clinic }}: preparing for your appointment on {{ when }}",
    "precare_1d": "{{ clinic }}: your appointment tomorrow at {{ time }}",
    "aftercare_0d": "{{ clinic }}: after your appointment today",
    "aftercare_1d": "{{ clinic }}: after your appointment",
    "aftercare_3d": "{{ clinic }}: after your appointment",
    "aftercare_7d": "{{ clinic }}: after your appointment",
    "recall": "{{ clinic }}: time to book your next appointment",
    "invitation": "{{ clinic }}: you can book your appointment now",
}

#: The aftercare of the day, from the plan's care timeline (:mod:`.care_text`).
CARE_STEPS = (
    "{% if care_do %}What to do now:\n{% for line in care_do %}- {{ line }}\n{% endfor %}"
    "{% endif %}{% if care_expected %}\nWhat is normal now:\n{% for line in care_expected %}"
    "- {{ line }}\n{% endfor %}{% endif %}{% if care_ended %}\nNo longer needed from today "
    "(unless the clinic told you otherwise):\n{% for line in care_ended %}- {{ line }}\n"
    "{% endfor %}{% endif %}\n{{ contact_signs }}"
)

#: What each kind says in an e-mail (plain text; the HTML part is built from the same lines).
BODIES = {
    "confirmation": (
        "Your appointment at {{ clinic }} is booked for {{ when }}."
        "{% if sessions|length > 1 %}\n\nYour sessions:\n{% for item in sessions %}"
        "- {{ item }}\n{% endfor %}{% endif %}\n\nThe calendar file attached adds "
        "{{ 'them' if sessions|length > 1 else 'it' }} to your calendar."
    ),
    "moved": "Your appointment at {{ clinic }} has moved. The new time is {{ when }}.",
    "cancelled": (
        "Your appointment at {{ clinic }} on {{ when }} is cancelled. To book another time, "
        "reply to this message or call the clinic."
    ),
    "reminder_48h": "A reminder: your appointment at {{ clinic }} is on {{ when }}.",
    "reminder_2h": "See you today at {{ time }} at {{ clinic }}.",
    "precare_7d": (
        "Your appointment at {{ clinic }} is on {{ when }}. In the week before it:\n"
        "- stop retinoid creams and exfoliating acids or scrubs (from today);\n"
        "- avoid sunburn and tanning; use sunscreen.\n"
        "If you take any medicine the clinic told you to start before the session, start it "
        "as you were told."
    ),
    "precare_1d": (
        "Your appointment at {{ clinic }} is tomorrow, {{ when }}.\n"
        "- Come without make-up on the area to be treated.\n"
        "- Bring a list of the medicines you take.\n"
        "If you have a cold sore, a fever or a skin infection, call the clinic before you come."
    ),
    "aftercare_0d": "Thank you for coming to {{ clinic }} today.\n\n" + CARE_STEPS,
    "aftercare_1d": "How is your skin today?\n\n" + CARE_STEPS,
    "aftercare_3d": "A few days after your session at {{ clinic }}.\n\n" + CARE_STEPS,
    "aftercare_7d": "A week after your session at {{ clinic }}.\n\n" + CARE_STEPS,
    "recall": "It is time for your next appointment at {{ clinic }}. Reply or call to book it.",
    "invitation": "You can now book your appointment at {{ clinic }}. Reply or call to book it.",
}

CONTACT_SIGNS = (
    "Contact the clinic at once if you notice: pain or swelling that gets worse after the first "
    "day, pus, yellow crusts, blisters, a fever, or redness lasting more than three days."
)

#: Words that must never be in a subject or an SMS (tests check every kind against them).
PRIVATE_WORDS = (
    "acne", "scar", "melasma", "rosacea", "retinoid", "isotretinoin", "antiviral", "aciclovir",
    "valaciclovir", "herpes", "microneedling", "needle", "stretch", "pigment", "wrinkle",
)  # fmt: skip

_TEXT = """{{ greeting }}

{{ body }}
{% if link %}
Your appointments: {{ link }}
{% endif %}
{{ clinic }}{% if reply_to %} · {{ reply_to }}{% endif %}
{% if unsubscribe %}
To stop these messages: {{ unsubscribe }}
{% endif %}"""

_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ subject }}</title></head>
<body style="font-family: sans-serif; line-height: 1.5; max-width: 36em">
<p>{{ greeting }}</p>
{% for paragraph in paragraphs %}<p>{% for line in paragraph %}{{ line }}{% if not loop.last %}<br>
{% endif %}{% endfor %}</p>
{% endfor %}{% if link %}<p><a href="{{ link }}">Your appointments</a></p>{% endif %}
<p>{{ clinic }}{% if reply_to %} · <a href="mailto:{{ reply_to }}">{{ reply_to }}</a>{% endif %}</p>
{% if unsubscribe %}<p style="font-size: small"><a href="{{ unsubscribe }}">Stop these messages</a></p>{% endif %}
</body></html>"""

_SMS = """{{ subject }}{% if link %} {{ link }}{% endif %} Reply STOP to stop."""

_BLANK_LINES = re.compile(r"\n\s*\n")

# Sandboxed: a clinic's own templates (clinic_settings.py) are rendered here too.
_plain = SandboxedEnvironment(
    loader=DictLoader({"text": _TEXT, "sms": _SMS}),
    autoescape=False,
    undefined=StrictUndefined,
    keep_trailing_newline=False,
)
_html = SandboxedEnvironment(
    loader=DictLoader({"html": _HTML}),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
)


@dataclass(frozen=True, slots=True)
class Rendered:
    """A message ready for its channel."""

    subject: str
    text: str
    html: str | None


def render(
    kind: str,
    channel: str,
    context: dict[str, Any],
    *,
    subject: str | None = None,
    body: str | None = None,
) -> Rendered:
    """The message of ``kind`` for ``channel``; ``context`` holds ``clinic``, ``given_name``,
    ``when``, ``time``, ``sessions``, ``link``, ``reply_to``, ``unsubscribe`` (and the aftercare
    steps). ``subject`` and ``body``: the clinic's own wording instead of the shipped one."""
    values = {
        "sessions": [],
        "link": None,
        "reply_to": None,
        "unsubscribe": None,
        "contact_signs": CONTACT_SIGNS,
        "care_do": [],
        "care_expected": [],
        "care_ended": [],
        **context,
    }
    if not values["contact_signs"]:
        values["contact_signs"] = CONTACT_SIGNS
    subject_template = SUBJECTS[kind] if subject is None else subject
    body_template = BODIES[kind] if body is None else body
    subject = " ".join(_plain.from_string(subject_template).render(values).split())
    if channel == "sms":
        return Rendered(subject, _plain.get_template("sms").render(subject=subject, **values), None)
    body = _BLANK_LINES.sub("\n\n", _plain.from_string(body_template).render(values)).strip()
    greeting = f"Dear {values['given_name']}," if values.get("given_name") else "Hello,"
    text = _plain.get_template("text").render(greeting=greeting, body=body, **values).strip()
    paragraphs = [block.split("\n") for block in body.split("\n\n")]
    html = _html.get_template("html").render(
        greeting=greeting, paragraphs=paragraphs, subject=subject, **values
    )
    return Rendered(subject, text + "\n", html)
