"""A clinic's own message settings: quiet hours, timings and the wording of each kind, set by the
owner (``messages.configure``), checked before anything is written, and audited.

- **Quiet hours**: ``"21:00-08:00"`` (local time, may cross midnight) or ``""`` for none.
- **Timings** (:data:`TIMINGS`): the reminders' hours before the start, the pre-care's days before
  the session day, the later aftercare's days after it; empty turns that message off.
- **Templates**: a subject (the e-mail's subject, and the whole SMS) and an e-mail body per kind,
  Jinja2 text with the placeholders of :data:`PLACEHOLDERS`, rendered in a sandbox. A subject
  must carry no clinical word (:data:`~.templates.PRIVATE_WORDS`): it is shown on lock screens.

:func:`clinic_messaging` reads them for queueing and sending (the defaults when the clinic set
nothing); :func:`preview` renders a kind for a sample patient, as the owner types.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from jinja2 import TemplateError, TemplateSyntaxError, UndefinedError
from sqlalchemy import select
from sqlalchemy.orm import Session

from microneedling.errors import UserError
from microneedling.services.access import Actor, Transaction
from microneedling.services.clock import Clock, utc_now
from microneedling.services.messages.care_text import aftercare_context
from microneedling.services.messages.templates import (
    BODIES,
    PRIVATE_WORDS,
    SUBJECTS,
    Rendered,
    render,
)
from microneedling.services.messages.timing import QuietHours
from microneedling.store import UnitOfWork
from microneedling.store.message_models import ClinicMessageSettings, MessageTemplate

#: Nothing is sent between 21:00 and 08:00 unless the clinic says otherwise.
DEFAULT_QUIET = "21:00-08:00"
#: Each timing the owner sets: (unit, default, lowest, highest, what it is).
TIMINGS: dict[str, tuple[str, int, int, int, str]] = {
    "reminder_48h": ("hours before", 48, 1, 336, "First reminder"),
    "reminder_2h": ("hours before", 2, 1, 72, "Second reminder"),
    "precare_7d": ("days before", 7, 2, 30, "First pre-care message"),
    "precare_1d": ("days before", 1, 1, 7, "Pre-care the day before"),
    "aftercare_1d": ("days after", 1, 1, 30, "Second aftercare message"),
    "aftercare_3d": ("days after", 3, 1, 60, "Third aftercare message"),
    "aftercare_7d": ("days after", 7, 1, 90, "Fourth aftercare message"),
}
DEFAULT_TIMINGS: dict[str, int | None] = {kind: spec[1] for kind, spec in TIMINGS.items()}
#: What a template may use.
PLACEHOLDERS = (
    "clinic", "given_name", "when", "time", "sessions", "link", "reply_to", "unsubscribe",
    "care_do", "care_expected", "care_ended", "contact_signs",
)  # fmt: skip
MAX_SUBJECT = 200
MAX_BODY = 5_000
_NAME = re.compile(r"'([A-Za-z_][A-Za-z0-9_]*)' is undefined")


@dataclass(frozen=True)
class ClinicMessaging:
    """What a clinic set (or the defaults)."""

    quiet_text: str = DEFAULT_QUIET
    timings: Mapping[str, int | None] = field(default_factory=lambda: dict(DEFAULT_TIMINGS))
    templates: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def quiet(self) -> QuietHours | None:
        return QuietHours.parse(self.quiet_text)


_cache: weakref.WeakKeyDictionary[Any, dict[int, ClinicMessaging]] = weakref.WeakKeyDictionary()


def clinic_messaging(session: Session, clinic_id: int, scope: Any = None) -> ClinicMessaging:
    """The clinic's message settings; read once per ``scope`` (a transaction) when given."""
    if scope is not None and clinic_id in _cache.get(scope, {}):
        return _cache[scope][clinic_id]
    row = session.get(ClinicMessageSettings, clinic_id)
    templates = {
        item.kind: (item.subject, item.body)
        for item in session.execute(
            select(MessageTemplate).where(MessageTemplate.clinic_id == clinic_id)
        ).scalars()
    }
    timings = dict(DEFAULT_TIMINGS)
    if row is not None:
        timings.update({k: v for k, v in row.timings.items() if k in TIMINGS})
    found = ClinicMessaging(row.quiet_hours if row else DEFAULT_QUIET, timings, templates)
    if scope is not None:
        _cache.setdefault(scope, {})[clinic_id] = found
    return found


def sample_context(kind: str, clinic: str) -> dict[str, Any]:
    """A sample patient's message of ``kind`` (the preview)."""
    context: dict[str, Any] = {
        "clinic": clinic, "given_name": "Nguyễn", "when": "Tuesday 9 March 2027 at 14:30",
        "time": "14:30", "sessions": ["Tuesday 9 March 2027 at 14:30",
                                      "Tuesday 6 April 2027 at 14:30"],
        "link": "https://clinic.example", "reply_to": "desk@clinic.example",
        "unsubscribe": "https://clinic.example/unsubscribe/…",
    }  # fmt: skip
    if kind.startswith("aftercare"):
        day = {"aftercare_0d": 0}.get(kind, DEFAULT_TIMINGS.get(kind) or 1)
        context.update(aftercare_context(None, day, 0))
    return context


def check_template(kind: str, subject: str, body: str, clinic: str) -> list[tuple[str, str]]:
    """What is wrong with a template, field by field (empty: nothing)."""
    problems: list[tuple[str, str]] = []
    if kind not in BODIES:
        return [("kind", f"there is no kind of message called {kind[:40]!r}")]
    for name, text, limit in (("subject", subject, MAX_SUBJECT), ("body", body, MAX_BODY)):
        if not text.strip():
            problems.append((name, "write something (or reset it to the shipped wording)"))
        elif len(text) > limit:
            problems.append((name, f"at most {limit:,} characters (this has {len(text):,})"))
    if "\n" in subject.strip():
        problems.append(("subject", "a subject is one line"))
    if re.search(r"care_|contact_signs|sessions", subject):
        problems.append(("subject", "the aftercare steps and the sessions go in the body only"))
    private = [word for word in PRIVATE_WORDS if word in subject.lower()]
    if private:
        problems.append(
            ("subject", f"leave out {private[0]!r}: subjects and texts show on lock screens")
        )
    if problems:
        return problems
    try:
        render(kind, "email", sample_context(kind, clinic), subject=subject, body=body)
    except TemplateSyntaxError as error:
        where = "subject" if _fails(subject) else "body"
        problems.append((where, f"the template cannot be read (line {error.lineno}: "
                                f"{error.message})"))  # fmt: skip
    except UndefinedError as error:
        found = _NAME.search(str(error.message))
        name = found.group(1) if found else "a placeholder"
        problems.append(
            ("body", f"{{{{ {name} }}}} is not a placeholder; use " + ", ".join(PLACEHOLDERS))
        )
    except TemplateError as error:
        problems.append(("body", f"the template cannot be used ({type(error).__name__})"))
    return problems


def _fails(text: str) -> bool:
    from jinja2.sandbox import SandboxedEnvironment

    try:
        SandboxedEnvironment().parse(text)
    except TemplateSyntaxError:
        return True
    return False


def parse_timings(data: Mapping[str, Any]) -> tuple[dict[str, int | None], list[tuple[str, str]]]:
    """The timings of a form or document (``""``/None: off), and what is wrong with them."""
    timings: dict[str, int | None] = {}
    problems: list[tuple[str, str]] = []
    for kind, (unit, default, low, high, _label) in TIMINGS.items():
        value = data.get(kind, default)
        if value is None or (isinstance(value, str) and not value.strip()):
            timings[kind] = None
            continue
        text = str(value).strip()
        if isinstance(value, bool) or not text.isdigit() or not low <= int(text) <= high:
            problems.append((kind, f"a whole number of {unit.split()[0]} from {low} to {high}, "
                                   "or empty to turn it off"))  # fmt: skip
            continue
        timings[kind] = int(text)
    unknown = [key for key in data if key not in TIMINGS and key != "quiet_hours"]
    if unknown:
        problems.append((str(unknown[0])[:40], "not a timing this clinic can set"))
    return timings, problems


def parse_quiet(text: Any) -> tuple[str, list[tuple[str, str]]]:
    if text is None:
        return DEFAULT_QUIET, []
    if not isinstance(text, str) or len(text) > 20:
        return "", [("quiet_hours", "two times like 21:00-08:00, or empty for none")]
    try:
        quiet = QuietHours.parse(text)
    except ValueError:
        return "", [("quiet_hours", "two times like 21:00-08:00, or empty for none")]
    if quiet is None:
        return "", []
    if quiet.start == quiet.end:
        return "", [("quiet_hours", "the start and the end are the same time")]
    return f"{quiet.start:%H:%M}-{quiet.end:%H:%M}", []


def _quiet_hours_long(text: str) -> bool:
    quiet = QuietHours.parse(text)
    if quiet is None:
        return False
    start = datetime.combine(datetime.min, quiet.start)
    end = datetime.combine(datetime.min, quiet.end)
    minutes = ((end - start).total_seconds() / 60) % (24 * 60)
    return minutes > 16 * 60


def read_message_settings(
    uow: UnitOfWork, actor: Actor, *, clock: Clock = utc_now
) -> dict[str, Any]:
    """The clinic's quiet hours, timings and templates (its own and the shipped ones)."""
    with Transaction(uow, actor, "messages.read_settings", clock) as tx:
        found = clinic_messaging(tx.uow.session, actor.clinic_id)
        result = settings_view(found)
        tx.done(details={"view": "message_settings"})
    return result


def settings_view(found: ClinicMessaging) -> dict[str, Any]:
    return {
        "quiet_hours": found.quiet_text,
        "timings": dict(found.timings),
        "templates": {
            kind: {
                "subject": found.templates.get(kind, (SUBJECTS[kind], BODIES[kind]))[0],
                "body": found.templates.get(kind, (SUBJECTS[kind], BODIES[kind]))[1],
                "own": kind in found.templates,
            }
            for kind in BODIES
        },
    }


def update_message_settings(
    uow: UnitOfWork, actor: Actor, data: Mapping[str, Any], *, clock: Clock = utc_now
) -> dict[str, Any]:
    """Set quiet hours and timings (both checked together; nothing written if one is wrong)."""
    quiet, problems = parse_quiet(data.get("quiet_hours"))
    timings, more = parse_timings({k: v for k, v in data.items() if k != "quiet_hours"})
    problems += more
    if not problems and quiet and _quiet_hours_long(quiet):
        problems.append(("quiet_hours", "at most 16 hours a day can be quiet"))
    if problems:
        raise UserError(problems[0][1], fields=problems)
    with Transaction(uow, actor, "messages.configure", clock) as tx:
        session = tx.uow.session
        row = session.get(ClinicMessageSettings, actor.clinic_id)
        if row is None:
            row = ClinicMessageSettings(clinic_id=actor.clinic_id)
            session.add(row)
        row.quiet_hours, row.timings = quiet, dict(timings)
        row.updated_at, row.updated_by = tx.now, actor.staff_user_id
        session.flush()
        result = settings_view(clinic_messaging(session, actor.clinic_id))
        tx.done(details={"changed": "timings", "quiet_hours": quiet or "none"})
    return result


def save_template(
    uow: UnitOfWork,
    actor: Actor,
    kind: str,
    subject: str | None,
    body: str | None,
    *,
    clock: Clock = utc_now,
) -> dict[str, Any]:
    """Set the clinic's wording of ``kind``; ``subject`` and ``body`` None: back to the shipped
    wording."""
    reset = subject is None and body is None
    with Transaction(uow, actor, "messages.configure", clock) as tx:
        session = tx.uow.session
        if not reset:
            problems = check_template(kind, subject or "", body or "", tx.records.clinic().name)
            if problems:
                raise UserError(problems[0][1], fields=problems)
        elif kind not in BODIES:
            raise UserError(f"there is no kind of message called {kind[:40]!r}", field="kind")
        row = session.execute(
            select(MessageTemplate).where(
                MessageTemplate.clinic_id == actor.clinic_id, MessageTemplate.kind == kind
            )
        ).scalar_one_or_none()
        if reset:
            if row is not None:
                session.delete(row)
        else:
            if row is None:
                row = MessageTemplate(clinic_id=actor.clinic_id, kind=kind)
                session.add(row)
            row.subject, row.body = (subject or "").strip(), (body or "").strip()
            row.updated_at, row.updated_by = tx.now, actor.staff_user_id
        session.flush()
        result = settings_view(clinic_messaging(session, actor.clinic_id))
        tx.done(details={"changed": "template", "kind": kind, "reset": reset})
    return result


def preview(
    uow: UnitOfWork,
    actor: Actor,
    kind: str,
    subject: str | None = None,
    body: str | None = None,
    *,
    clock: Clock = utc_now,
) -> dict[str, Any]:
    """``kind`` rendered for a sample patient, with the clinic's wording (or ``subject``/``body``
    as typed, not saved); ``problems`` instead when they cannot be used."""
    with Transaction(uow, actor, "messages.read_settings", clock) as tx:
        clinic = tx.records.clinic().name
        found = clinic_messaging(tx.uow.session, actor.clinic_id)
        tx.done(details={"view": "message_preview", "kind": kind[:30]})
    if kind not in BODIES:
        raise UserError(f"there is no kind of message called {kind[:40]!r}", field="kind")
    own_subject, own_body = found.templates.get(kind, (SUBJECTS[kind], BODIES[kind]))
    subject = own_subject if subject is None else subject
    body = own_body if body is None else body
    problems = check_template(kind, subject, body, clinic)
    if problems:
        return {"kind": kind, "problems": [{"field": f, "message": m} for f, m in problems]}
    context = sample_context(kind, clinic)
    email: Rendered = render(kind, "email", context, subject=subject, body=body)
    sms = render(kind, "sms", context, subject=subject, body=body)
    return {
        "kind": kind,
        "problems": [],
        "subject": email.subject,
        "text": email.text,
        "html": email.html,
        "sms": sms.text,
    }
