"""The audit log in staff's words: each action code an entry can carry, as a plain name and as
a sentence with people's names ("Dr Clara Jansen opened the record of Sara Smits").

:data:`WORDING` is the one table: every action of the role matrix (``services/access.py``) and
the few written outside a use case's transaction (a clinic created, sign-ins). A test reads the
services' source for every action code written and checks that each has its wording here.

:func:`sentence` fills a wording's sentence from an entry's facts: who acted, the patient, the
staff member or lot it was about, and what its details say (never more than the details hold:
no patient identity is ever in them).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from microneedling.knowledge.overrides import SETTING
from microneedling.services.access import PERMISSIONS
from microneedling.text_direction import isolated_where_needed

#: Roles in words (an entry's ``actor_role``; ``system`` and ``anonymous`` are not staff roles).
ROLE_WORDS = {
    "owner": "owner",
    "clinician": "clinician",
    "front_desk": "front desk",
    "system": "the system",
    "anonymous": "someone not signed in",
    "patient": "patient (portal)",
}

STATUS_WORDS = {
    "scheduled": "scheduled",
    "checked_in": "checked in",
    "completed": "completed",
    "cancelled": "cancelled",
    "no_show": "a no-show",
    "proposed": "proposed",
    "accepted": "accepted",
}

CONSENT_WORDS = {"treatment": "treatment", "marketing_photos": "marketing photos"}

DECISION_WORDS = {
    "eligible": "eligible",
    "caution": "caution",
    "defer": "deferred",
    "not_eligible": "not eligible",
}


class Facts(dict[str, Any]):
    """An entry's facts for a sentence; a missing one reads as something sensible."""

    FALLBACK: Mapping[str, str] = {
        "who": "Someone",
        "patient": "a patient",
        "staff": "a staff member",
        "role": "a role",
        "lot": "a cartridge lot",
        "count": "some",
        "to": "changed",
    }

    def __missing__(self, key: str) -> str:
        return self.FALLBACK.get(key, "")


Sentence = str | Callable[[Facts], str]


@dataclass(frozen=True)
class Wording:
    """An action as staff say it: ``name`` for lists and filters ("Opened a patient's record"),
    ``sentence`` for the log ("{who} opened the record of {patient}")."""

    name: str
    sentence: Sentence


def words(code: Any) -> str:
    """A code in words: ``prolonged_erythema`` → "prolonged erythema"."""
    return str(code or "").replace("_", " ").strip()


def plural(count: Any, one: str, many: str | None = None) -> str:
    """``3, "session"`` → "3 sessions"."""
    number = int(count) if isinstance(count, int) else 0
    return f"{number:,} {one if number == 1 else (many or one + 's')}"


def _results(facts: Facts) -> str:
    found = facts.get("details", {}).get("results")
    return "" if not isinstance(found, int) else f" ({plural(found, 'result')})"


def _audit_read(facts: Facts) -> str:
    details = facts.get("details", {})
    about = f" about {facts['patient']}" if facts.get("has_patient") else ""
    if details.get("export") == "csv":
        return f"{facts['who']} downloaded the audit log{about} as CSV"
    return f"{facts['who']} read the audit log{about}{_results(facts)}"


def _clinic_configure(facts: Facts) -> str:
    changed = facts.get("details", {}).get("changed")
    what = {
        "price_list": "price list",
        "policy_overrides": "policy overrides",
        "contact": "contact details for handouts",
    }.get(str(changed), "settings")
    text = f"{facts['who']} changed the clinic's {what}"
    if changed == "policy_overrides":
        text += _policy_change(facts.get("details", {}))
    return text


def _policy_change(details: Mapping[str, Any]) -> str:
    """What changed, by label: ": minimum age set to 21 years; sunburn wait reset to its
    default" (A.7)."""

    def label(key: object) -> str:
        setting = SETTING.get(str(key))
        return setting.label.lower() if setting else str(key).replace("_", " ")

    parts: list[str] = []
    changed = details.get("set")
    if isinstance(changed, Mapping):
        for key, value in list(changed.items())[:20]:
            setting = SETTING.get(str(key))
            if setting and isinstance(value, int) and not isinstance(value, bool):
                parts.append(f"{label(key)} set to {value:,} {setting.unit}")
            else:
                parts.append(f"{label(key)} changed")
    reset = details.get("reset")
    if isinstance(reset, list):
        parts.extend(f"{label(key)} reset to its default" for key in reset[:20])
    return (": " + "; ".join(parts)) if parts else ""


def _calendar_configure(facts: Facts) -> str:
    who, entity = facts["who"], facts.get("entity_type")
    if entity == "staff_user":
        return f"{who} changed the working hours of {facts['staff']} in the clinic calendar"
    if entity == "room":
        return f"{who} added a room to the clinic calendar"
    if entity == "resource_unavailability":
        return f"{who} added an absence to the clinic calendar"
    return f"{who} changed the clinic calendar"


def _calendar_export(facts: Facts) -> str:
    who = facts["who"]
    if facts.get("has_patient"):
        return f"{who} downloaded the session calendar of {facts['patient']}"
    if facts.get("entity_type") == "staff_user":
        return f"{who} downloaded the calendar of {facts['staff']}"
    return f"{who} downloaded a calendar"


def _status_change(facts: Facts) -> str:
    who, patient = facts["who"], facts["patient"]
    to = facts.get("details", {}).get("to")
    if to == "checked_in":
        return f"{who} checked in {patient}"
    if to == "cancelled":
        return f"{who} cancelled an appointment of {patient}"
    if to == "no_show":
        return f"{who} marked {patient} as a no-show"
    if to == "completed":
        return f"{who} marked an appointment of {patient} as completed"
    return f"{who} changed an appointment of {patient} to {STATUS_WORDS.get(to, words(to))}"


def _plan_status(facts: Facts) -> str:
    details = facts.get("details", {})
    before, to = details.get("from"), details.get("to")
    change = STATUS_WORDS.get(to, words(to)) or "changed"
    if before:
        change = f"{change} (was {STATUS_WORDS.get(before, words(before))})"
    return f"{facts['who']} marked the treatment plan of {facts['patient']} as {change}"


def _series_cancel(facts: Facts) -> str:
    cancelled = facts.get("details", {}).get("cancelled")
    if facts.get("entity_type") == "booked_series" and isinstance(cancelled, list):
        sessions = plural(len(cancelled), "session")
        return f"{facts['who']} stopped the series of {facts['patient']} ({sessions} cancelled)"
    return f"{facts['who']} cancelled a session of the series of {facts['patient']}"


def _intake_read(facts: Facts) -> str:
    if facts.get("entity_type") == "intake":
        return f"{facts['who']} read an intake of {facts['patient']}"
    return f"{facts['who']} looked at the intakes of {facts['patient']}"


def _appointment_read(facts: Facts) -> str:
    if facts.get("entity_type") == "appointment":
        return f"{facts['who']} opened an appointment of {facts['patient']}"
    if facts.get("has_patient"):
        return f"{facts['who']} looked at the appointments of {facts['patient']}"
    return f"{facts['who']} looked at appointments{_results(facts)}"


def _plan_read(facts: Facts) -> str:
    if facts.get("entity_type") == "treatment_plan":
        return f"{facts['who']} opened the treatment plan of {facts['patient']}"
    return f"{facts['who']} looked at the treatment plans of {facts['patient']}"


def _photo_read(facts: Facts) -> str:
    part = facts.get("details", {}).get("part")
    if part == "details":
        return f"{facts['who']} read the details of a photo of {facts['patient']}"
    return f"{facts['who']} looked at a photo of {facts['patient']}"


def _inventory_read(facts: Facts) -> str:
    listed = facts.get("details", {}).get("listed")
    what = {"devices": "devices", "lots": "cartridge lots"}.get(str(listed), "inventory")
    return f"{facts['who']} looked at the {what}"


def _sign_in_refused(facts: Facts) -> str:
    reason = facts.get("details", {}).get("reason")
    because = f" ({reason})" if isinstance(reason, str) and reason else ""
    if facts.get("actor_known"):
        return f"A sign-in as {facts['who']} was refused{because}"
    return f"A sign-in was refused{because}"


def _lot_recall(facts: Facts) -> str:
    details = facts.get("details", {})
    patients = details.get("patients")
    had = f" ({plural(patients, 'patient')} received it)" if isinstance(patients, int) else ""
    return f"{facts['who']} recalled cartridge lot {facts['lot']}{had}"


def _series_book(facts: Facts) -> str:
    sessions = facts.get("sessions")
    booked = plural(sessions, "session") if isinstance(sessions, int) else "a series of sessions"
    return f"{facts['who']} booked {booked} for {facts['patient']}"


def _clinic_create(facts: Facts) -> str:
    owner = f" with {facts['staff']} as its owner" if facts.get("staff") else ""
    return f"{facts['who']} created the clinic{owner}"


def _staff_role(facts: Facts) -> str:
    was = facts.get("details", {}).get("from")
    before = f" (was {ROLE_WORDS.get(was, words(was))})" if isinstance(was, str) else ""
    return f"{facts['who']} made {facts['staff']} {facts['role']}{before}"


def _report_read(facts: Facts) -> str:
    report = facts.get("details", {}).get("report")
    which = f" ({words(report)})" if isinstance(report, str) else ""
    return f"{facts['who']} looked at the clinic's reports{which}"


def _fhir_export(facts: Facts) -> str:
    details = facts.get("details", {})
    types = details.get("types")
    which = f" ({', '.join(str(t) for t in types)})" if isinstance(types, list) and types else ""
    step = details.get("step")
    if step == "file":
        return f"{facts['who']} downloaded a file of a FHIR export{which}"
    return f"{facts['who']} exported the clinic's records in FHIR{which}"


WORDING: Mapping[str, Wording] = {
    # The clinic (owners).
    "clinic.create": Wording("Created the clinic", _clinic_create),
    "clinic.configure": Wording("Changed the clinic's settings", _clinic_configure),
    "clinic.read_settings": Wording(
        "Looked at the clinic's settings", "{who} looked at the clinic's settings"
    ),
    "staff.add": Wording("Added a staff member", "{who} added {staff} as {role}"),
    "staff.invite": Wording(
        "Invited someone to the staff", "{who} sent an invitation to join the staff as {role}"
    ),
    "staff.join": Wording(
        "Accepted an invitation to the staff", "{who} accepted an invitation and joined as {role}"
    ),
    "staff.read": Wording("Looked at the staff list", "{who} looked at the list of staff"),
    "staff.deactivate": Wording("Closed a staff account", "{who} closed the account of {staff}"),
    "staff.change_role": Wording("Changed a staff member's role", _staff_role),
    "staff.reset_password": Wording(
        "Reset a staff member's password",
        "{who} reset the password of {staff} (a one-time password, to be changed at sign-in)",
    ),
    "staff.read_sessions": Wording(
        "Looked at a staff member's sign-ins", "{who} looked at where {staff} is signed in"
    ),
    "staff.end_sessions": Wording("Signed a staff member out", "{who} signed {staff} out"),
    "audit.read": Wording("Read the audit log", _audit_read),
    "audit.verify": Wording("Verified the audit log", "{who} had the audit log's chain verified"),
    "calendar.configure": Wording("Changed the clinic calendar", _calendar_configure),
    # Accounts.
    "account.sign_in": Wording("Signed in", "{who} signed in"),
    "account.sign_in_refused": Wording("Sign-in refused", _sign_in_refused),
    "account.sign_out": Wording("Signed out", "{who} signed out"),
    "account.change_password": Wording(
        "Changed their password", "{who} changed their password (signed out everywhere else)"
    ),
    # Front desk's work.
    "patient.register": Wording("Registered a patient", "{who} registered {patient}"),
    "patient.search": Wording(
        "Looked up patients", lambda f: f"{f['who']} looked up patients{_results(f)}"
    ),
    "patient.read": Wording(
        "Looked at a patient's details", "{who} looked at the details of {patient}"
    ),
    "patient.update_contact": Wording(
        "Changed a patient's contact details", "{who} changed the contact details of {patient}"
    ),
    "intake.record": Wording(
        "Recorded an intake",
        lambda f: (
            f"{f['who']} recorded an intake for {f['patient']}"
            + (f" (screening: {f['decision']})" if f.get("decision") else "")
        ),
    ),
    "intake.read": Wording("Read an intake", _intake_read),
    "consent.sign": Wording(
        "Recorded a consent",
        lambda f: f"{f['who']} recorded the {f.get('consent') or 'a'} consent of {f['patient']}",
    ),
    "consent.withdraw": Wording(
        "Recorded a consent's withdrawal",
        lambda f: (
            f"{f['who']} recorded that {f['patient']} withdrew the "
            f"{f.get('consent') or 'a'} consent"
        ),
    ),
    "consent.read": Wording("Looked at consents", "{who} looked at the consents of {patient}"),
    "appointment.book": Wording(
        "Booked an appointment", "{who} booked an appointment for {patient}"
    ),
    "appointment.update_status": Wording(
        "Checked in, cancelled or marked an appointment", _status_change
    ),
    "appointment.read": Wording("Looked at appointments", _appointment_read),
    "calendar.read": Wording(
        "Looked at the clinic calendar", "{who} looked at the clinic calendar"
    ),
    "calendar.export": Wording("Downloaded a calendar", _calendar_export),
    "series.propose": Wording(
        "Had sessions proposed", "{who} had the sessions of {patient}'s plan proposed"
    ),
    "series.book": Wording("Booked a series", _series_book),
    "series.move": Wording("Moved a session", "{who} moved a session of {patient}"),
    "series.cancel": Wording("Cancelled a session of a series", _series_cancel),
    "maintenance.list": Wording(
        "Looked at who is due for maintenance", "{who} looked at who is due for maintenance"
    ),
    "compute.screen": Wording(
        "Screened answers without storing them",
        "{who} screened intake answers (nothing stored)",
    ),
    "compute.product_check": Wording(
        "Checked products", "{who} checked products against the care rules (nothing stored)"
    ),
    # Clinical work.
    "patient.read_record": Wording(
        "Opened a patient's record", "{who} opened the record of {patient}"
    ),
    "intake.acknowledge_caution": Wording(
        "Acknowledged a caution", "{who} acknowledged the caution on the screening of {patient}"
    ),
    "plan.create": Wording("Made a treatment plan", "{who} made a treatment plan for {patient}"),
    "plan.read": Wording("Opened a treatment plan", _plan_read),
    "plan.update_status": Wording("Changed a treatment plan's status", _plan_status),
    "chart.create": Wording("Charted a session", "{who} charted a session of {patient}"),
    "chart.amend": Wording("Amended a chart", "{who} amended the chart of a session of {patient}"),
    "chart.read": Wording("Opened a chart", "{who} opened the chart of a session of {patient}"),
    "chart.list": Wording(
        "Looked at charted sessions", "{who} looked at the charted sessions of {patient}"
    ),
    "adverse_event.record": Wording(
        "Recorded an adverse event",
        lambda f: (
            f"{f['who']} recorded an adverse event for {f['patient']}"
            + (f" ({f['event']})" if f.get("event") else "")
        ),
    ),
    "adverse_event.resolve": Wording(
        "Recorded an adverse event's resolution",
        "{who} recorded that an adverse event of {patient} has resolved",
    ),
    "adverse_event.read": Wording(
        "Looked at adverse events", "{who} looked at the adverse events of {patient}"
    ),
    "outcome.record": Wording(
        "Recorded an outcome",
        lambda f: (
            f"{f['who']} recorded an outcome for {f['patient']}"
            + (f" ({f['scale']})" if f.get("scale") else "")
        ),
    ),
    "outcome.read": Wording("Looked at outcomes", "{who} looked at the outcomes of {patient}"),
    "photo.add": Wording(
        "Added a photo",
        lambda f: (
            f"{f['who']} added a photo of {f['patient']}"
            + (f" ({f['view']})" if f.get("view") else "")
        ),
    ),
    "photo.read": Wording("Looked at a photo", _photo_read),
    "photo.list": Wording("Looked at photos", "{who} looked at the photos of {patient}"),
    "photo.select_for_marketing": Wording(
        "Chose a photo for marketing", "{who} chose a photo of {patient} for marketing"
    ),
    "photo.list_marketing": Wording(
        "Looked at the marketing photos", "{who} looked at the photos chosen for marketing"
    ),
    "inventory.register_device": Wording(
        "Registered a device",
        lambda f: (
            f"{f['who']} registered a device" + (f" ({f['device']})" if f.get("device") else "")
        ),
    ),
    "inventory.receive_lot": Wording(
        "Received a cartridge lot", "{who} received cartridge lot {lot}"
    ),
    "inventory.read": Wording("Looked at the inventory", _inventory_read),
    "lot.recall": Wording("Recalled a cartridge lot", _lot_recall),
    "compute.plan": Wording(
        "Worked out a plan without storing it", "{who} worked out a treatment plan (nothing stored)"
    ),
    "compute.score": Wording(
        "Scored a scale without storing it", "{who} scored an outcome scale (nothing stored)"
    ),
    "calendar.optimise": Wording("Optimised the calendar", "{who} optimised the clinic calendar"),
    # Billing.
    "billing.configure": Wording(
        "Changed the billing settings", "{who} changed the billing settings"
    ),
    "billing.read_settings": Wording(
        "Looked at the billing settings", "{who} looked at the billing settings"
    ),
    "billing.read": Wording(
        "Looked at packages and invoices", "{who} looked at packages and invoices of {patient}"
    ),
    "billing.read_books": Wording(
        "Looked at the clinic's invoices", "{who} looked at the clinic's invoices"
    ),
    "billing.sell": Wording("Sold a package", "{who} sold a package to {patient}"),
    "billing.pay": Wording("Recorded a payment", "{who} recorded a payment of {patient}"),
    "billing.redeem": Wording(
        "Redeemed a session of a package", "{who} redeemed a session of {patient}'s package"
    ),
    "billing.gift_card": Wording("Issued a gift card", "{who} issued a gift card"),
    "billing.refund": Wording("Refunded a payment", "{who} refunded {patient} (a credit note)"),
    "billing.transfer": Wording(
        "Moved a package to another patient", "{who} moved a package to {patient}"
    ),
    "report.read": Wording("Looked at a report", _report_read),
    "fhir.export": Wording("Exported the clinic's records", _fhir_export),
    "messages.configure": Wording(
        "Changed the messages to patients", "{who} changed the clinic's messages to patients"
    ),
    "messages.read_settings": Wording(
        "Looked at the message settings", "{who} looked at the clinic's messages to patients"
    ),
    "messages.preferences": Wording(
        "Recorded a patient's message preferences",
        "{who} recorded which messages {patient} wants",
    ),
    "messages.recall": Wording(
        "Queued recalls and invitations to book",
        "{who} queued the messages inviting patients back (maintenance and deferred)",
    ),
    # The patient portal, staff's side (web/routes/portal_review.py).
    "portal.invite": Wording(
        "Invited a patient to the portal", "{who} invited {patient} to the patient portal"
    ),
    "portal.intake_review": Wording(
        "Looked at questionnaires sent by patients",
        "{who} looked at questionnaires sent by patients",
    ),
    "portal.intake_confirm": Wording(
        "Confirmed a patient's questionnaire",
        "{who} confirmed the questionnaire {patient} sent (now the intake of record)",
    ),
    "portal.request_read": Wording(
        "Looked at consultation requests", "{who} looked at the consultation requests"
    ),
    "portal.request_handle": Wording(
        "Dealt with a consultation request", "{who} marked a consultation request as dealt with"
    ),
    "portal.reaction_review": Wording(
        "Looked at reactions reported by patients",
        "{who} looked at reactions reported by patients",
    ),
    "portal.reaction_close": Wording(
        "Closed a reported reaction",
        "{who} closed a reaction {patient} reported (not an adverse event)",
    ),
}

#: Actions written outside a use case's transaction (not in the role matrix).
OUTSIDE_THE_ROLE_MATRIX = frozenset(
    {"clinic.create", "account.sign_in", "account.sign_in_refused", "staff.join"}
)

assert set(PERMISSIONS) | OUTSIDE_THE_ROLE_MATRIX == set(WORDING), "every action needs wording"


def action_name(action: str) -> str:
    """The plain name of an action ("Opened a patient's record"); an unknown code in words."""
    wording = WORDING.get(action)
    return wording.name if wording is not None else words(action.replace(".", " ")).capitalize()


#: Facts typed by people (names, a lot number): isolated in a sentence.
TYPED_FACTS = ("who", "patient", "staff", "lot")


def _isolated(facts: Facts) -> Facts:
    """``facts`` with each typed one isolated (FSI … PDI, overrides removed) when it holds more
    than plain ASCII: a name with right-to-left letters or direction overrides cannot reorder
    the sentence around it, on the page, in the CSV or on a terminal."""
    found = Facts(facts)
    for key in TYPED_FACTS:
        if isinstance(facts.get(key), str):
            found[key] = isolated_where_needed(facts[key])
    return found


def sentence(action: str, facts: Facts) -> str:
    """The entry as a sentence, from its action's wording and its facts (typed ones isolated)."""
    facts = _isolated(facts)
    wording = WORDING.get(action)
    if wording is None:
        return f"{facts['who']}: {words(action.replace('.', ' '))}"
    text = wording.sentence
    said = text(facts) if callable(text) else text.format_map(facts)
    return said[:1].upper() + said[1:]


def action_choices() -> list[tuple[str, str]]:
    """(code, plain name) of every action, by name: the choices of a filter."""
    return sorted(((code, w.name) for code, w in WORDING.items()), key=lambda item: item[1])


# The patient portal: what patients do themselves (services/portal/actor.py PATIENT_ACTIONS, a
# list apart from the staff role matrix). Each part of the portal adds its actions' wording here.
PORTAL_WORDING: Mapping[str, Wording] = {
    "portal.sign_in": Wording("Signed in to the patient portal", "{who} signed in"),
    "portal.sign_out": Wording("Signed out of the patient portal", "{who} signed out"),
    "portal.home": Wording("Opened the portal's home page", "{who} opened their home page"),
    "portal.intake_read": Wording(
        "Opened their questionnaire", "{who} opened their questionnaire before the visit"
    ),
    "portal.intake_save": Wording(
        "Saved their questionnaire", "{who} saved their questionnaire as a draft"
    ),
    "portal.intake_submit": Wording(
        "Sent their questionnaire", "{who} sent their questionnaire before the visit"
    ),
    "portal.consultation_request": Wording(
        "Asked for a consultation", "{who} asked for a consultation from the clinic's page"
    ),
    # Consents, care companion, reactions and journey (services/portal/*).
    "portal.consent_read": Wording(
        "Opened their consent forms", "{who} opened their consent forms"
    ),
    "portal.consent_sign": Wording("E-signed a consent", "{who} e-signed a consent form"),
    "portal.consent_withdraw": Wording(
        "Withdrew an e-signed consent", "{who} withdrew a consent they had e-signed"
    ),
    "portal.care_read": Wording(
        "Opened their care before and after a session", "{who} opened their care companion"
    ),
    "portal.product_check": Wording("Checked a product", "{who} checked whether to use a product"),
    "portal.reaction_report": Wording("Reported a reaction", "{who} reported a reaction"),
    "portal.reaction_read": Wording(
        "Looked at the reactions they reported", "{who} looked at the reactions they reported"
    ),
    "portal.journey_read": Wording("Opened their journey", "{who} opened their treatment journey"),
    "portal.handout": Wording("Downloaded their care plan", "{who} downloaded their care plan"),
}
WORDING = {**WORDING, **PORTAL_WORDING}
