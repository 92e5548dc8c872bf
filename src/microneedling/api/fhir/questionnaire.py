"""The intake as FHIR (pure): the intake questionnaire published as a Questionnaire (built from
the knowledge base: its zones and findings as answer options), a recorded intake as a
QuestionnaireResponse, and a QuestionnaireResponse read back into intake answers (an import).

Each item's ``linkId`` is the intake's own field path (``on``, ``zones``,
``medications.stopped_on``), so a response maps to the intake one to one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from microneedling.api.fhir.codes import FINDING_SYSTEM, INTAKE_QUESTIONNAIRE, ZONE_SYSTEM
from microneedling.api.fhir.resources import Resource, identifier, instant, reference
from microneedling.clinical.intake import LIST_OF_KIND
from microneedling.knowledge import KnowledgeBase
from microneedling.store.models import Clinic, Intake

QUESTIONNAIRE_ID = "intake"
SEX_SYSTEM = "http://hl7.org/fhir/administrative-gender"
SEXES = {"female": "Female", "male": "Male", "other": "Other"}
#: The follow-up questions of one listed finding: (field, FHIR type, text).
ITEM_FIELDS = (
    ("zones", "choice", "Where (zones)"),
    ("on", "date", "When it happened"),
    ("started_on", "date", "Started on"),
    ("stopped_on", "date", "Stopped on (a date after the assessment is a planned stop)"),
    ("severity", "string", "Severity"),
)
LIST_TEXTS = {
    "conditions": "Skin and general conditions",
    "medications": "Medications",
    "procedures": "Recent procedures",
    "allergies": "Allergies",
}
#: The most items a response may carry (a real intake has far fewer).
MAX_RESPONSE_ITEMS = 500


class ResponseError(ValueError):
    """A QuestionnaireResponse that is not an answer to our intake questionnaire."""

    def __init__(self, message: str, where: str = "item") -> None:
        super().__init__(message)
        self.message = f"{where}: {message}"


def _option(system: str, code: str, display: str) -> Resource:
    return {"valueCoding": {"system": system, "code": code, "display": display}}


def _zone_options(kb: KnowledgeBase) -> list[Resource]:
    return [_option(ZONE_SYSTEM, code, zone.label) for code, zone in kb.zones.items()] + [
        _option(ZONE_SYSTEM, code, group.label) for code, group in kb.zone_groups.items()
    ]


def questionnaire_resource(kb: KnowledgeBase) -> Resource:
    """The intake questionnaire of this knowledge base version."""
    zones = _zone_options(kb)
    lists: list[Resource] = []
    for kind, list_name in LIST_OF_KIND.items():
        options = [
            _option(FINDING_SYSTEM, code, finding.label)
            for code, finding in kb.findings.items()
            if finding.kind == kind
        ]
        follow_ups: list[Resource] = []
        for name, kind_of_answer, text in ITEM_FIELDS:
            item: Resource = {
                "linkId": f"{list_name}.{name}",
                "text": text,
                "type": kind_of_answer,
            }
            if name == "zones":
                item["repeats"] = True
                item["answerOption"] = zones
            follow_ups.append(item)
        lists.append(
            {
                "linkId": list_name,
                "text": LIST_TEXTS[list_name],
                "type": "group",
                "repeats": True,
                "item": [
                    {
                        "linkId": f"{list_name}.code",
                        "text": kind.title(),
                        "type": "choice",
                        "required": True,
                        "answerOption": options,
                    },
                    *follow_ups,
                ],
            }
        )
    return {
        "resourceType": "Questionnaire",
        "id": QUESTIONNAIRE_ID,
        "url": INTAKE_QUESTIONNAIRE,
        "version": kb.version,
        "name": "MicroneedlingIntake",
        "title": "Microneedling intake",
        "status": "active",
        "subjectType": ["Patient"],
        "description": (
            f"The screening intake (knowledge base {kb.version}, {kb.hash}); a response is "
            "screened when it is recorded. Each linkId is the intake's field path."
        ),
        "item": [
            {"linkId": "on", "text": "Assessment date", "type": "date", "required": True},
            {
                "linkId": "patient",
                "text": "The patient (from their record when left out)",
                "type": "group",
                "item": [
                    {"linkId": "patient.birth_date", "text": "Birth date", "type": "date"},
                    {
                        "linkId": "patient.sex",
                        "text": "Sex",
                        "type": "choice",
                        "answerOption": [
                            _option(SEX_SYSTEM, code, text) for code, text in SEXES.items()
                        ],
                    },
                    {
                        "linkId": "patient.fitzpatrick",
                        "text": "Fitzpatrick skin type (1 to 6)",
                        "type": "integer",
                    },
                ],
            },
            {
                "linkId": "zones",
                "text": "Zones to treat",
                "type": "choice",
                "required": True,
                "repeats": True,
                "answerOption": zones,
            },
            *lists,
        ],
    }


# A recorded intake as a response ----------------------------------------------------------------


def _answer(link_id: str, value: Any) -> Resource:
    field = link_id.rpartition(".")[2]
    if field in ("on", "birth_date", "started_on", "stopped_on"):
        return {"valueDate": str(value)}
    if field == "fitzpatrick":
        return {"valueInteger": int(value)}
    if field == "sex":
        return {"valueCoding": {"system": SEX_SYSTEM, "code": str(value)}}
    if field == "zones":
        return {"valueCoding": {"system": ZONE_SYSTEM, "code": str(value)}}
    if field == "code":
        return {"valueCoding": {"system": FINDING_SYSTEM, "code": str(value)}}
    return {"valueString": str(value)}


def _item(link_id: str, value: Any) -> Resource:
    values = value if isinstance(value, list) else [value]
    return {"linkId": link_id, "answer": [_answer(link_id, one) for one in values]}


def response_items(answers: Mapping[str, Any]) -> list[Resource]:
    """The intake's answers as response items (in the questionnaire's order)."""
    items: list[Resource] = []
    if "on" in answers:
        items.append(_item("on", answers["on"]))
    patient = answers.get("patient") or {}
    patient_items = [
        _item(f"patient.{name}", patient[name])
        for name in ("birth_date", "sex", "fitzpatrick")
        if patient.get(name) is not None
    ]
    if patient_items:
        items.append({"linkId": "patient", "item": patient_items})
    if answers.get("zones"):
        items.append(_item("zones", answers["zones"]))
    for list_name in LIST_OF_KIND.values():
        for entry in answers.get(list_name) or []:
            parts = [_item(f"{list_name}.code", entry["code"])]
            for name, _type, _text in ITEM_FIELDS:
                if entry.get(name) not in (None, []):
                    parts.append(_item(f"{list_name}.{name}", entry[name]))
            items.append({"linkId": list_name, "item": parts})
    return items


def questionnaire_response_resource(
    intake: Intake, clinic: Clinic, *, patient_name: str, recorder_name: str | None
) -> Resource:
    """A recorded intake, as submitted (its screening is the RiskAssessment of the same id)."""
    return {
        "resourceType": "QuestionnaireResponse",
        "id": str(intake.id),
        "identifier": identifier(clinic.slug, "intake", intake.id),
        "questionnaire": f"{INTAKE_QUESTIONNAIRE}|{intake.knowledge_base_version}",
        "status": "completed",
        "subject": reference("Patient", intake.patient_id, patient_name),
        "authored": instant(intake.recorded_at),
        "author": reference("Practitioner", intake.recorded_by, recorder_name),
        "item": response_items(intake.answers),
    }


# A response read back into intake answers (an import) ------------------------------------------


def _value(link_id: str, answer: Any, where: str) -> Any:
    if not isinstance(answer, Mapping) or len(answer) != 1:
        raise ResponseError("each answer holds exactly one value[x]", where)
    ((kind, value),) = answer.items()
    field = link_id.rpartition(".")[2]
    expected = {
        "on": "valueDate",
        "birth_date": "valueDate",
        "started_on": "valueDate",
        "stopped_on": "valueDate",
        "fitzpatrick": "valueInteger",
        "severity": "valueString",
    }.get(field, "valueCoding")
    if kind != expected:
        raise ResponseError(f"{link_id} takes {expected}, not {str(kind)[:40]}", where)
    if kind == "valueDate":
        if not isinstance(value, str):
            raise ResponseError(f"{link_id}: give a date as YYYY-MM-DD", where)
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            raise ResponseError(f"{link_id}: {value[:40]!r} is not a date", where) from None
    if kind == "valueInteger":
        if not isinstance(value, int) or isinstance(value, bool):
            raise ResponseError(f"{link_id}: give a whole number", where)
        return value
    if kind == "valueString":
        if not isinstance(value, str):
            raise ResponseError(f"{link_id}: give text", where)
        return value
    if not isinstance(value, Mapping) or not isinstance(value.get("code"), str):
        raise ResponseError(f"{link_id}: give a coding with a code", where)
    system = value.get("system")
    wanted = {"zones": ZONE_SYSTEM, "code": FINDING_SYSTEM, "sex": SEX_SYSTEM}[field]
    if system is not None and system != wanted:
        raise ResponseError(f"{link_id}: codes of {wanted} only", where)
    return value["code"]


def _answers_of(item: Mapping[str, Any], where: str, *, many: bool) -> Any:
    link_id = str(item["linkId"])
    answers = item.get("answer")
    if not isinstance(answers, list) or not answers:
        raise ResponseError(f"{link_id} has no answer", where)
    values = [_value(link_id, one, f"{where}.answer[{n}]") for n, one in enumerate(answers)]
    if many:
        return values
    if len(values) != 1:
        raise ResponseError(f"{link_id} takes one answer", where)
    return values[0]


def _children(item: Mapping[str, Any], where: str) -> list[Mapping[str, Any]]:
    children = item.get("item")
    if not isinstance(children, list) or not all(isinstance(c, Mapping) for c in children):
        raise ResponseError("a group holds a list of items", where)
    for child in children:
        if not isinstance(child.get("linkId"), str):
            raise ResponseError("every item needs a linkId", where)
    return children


def intake_answers(resource: Mapping[str, Any]) -> dict[str, Any]:
    """The intake answers of a QuestionnaireResponse to our intake questionnaire (the patient
    it is about is the caller's business: ``subject``). Raises :class:`ResponseError`."""
    questionnaire = resource.get("questionnaire")
    if not isinstance(questionnaire, str) or questionnaire.split("|")[0] != INTAKE_QUESTIONNAIRE:
        raise ResponseError(f"answer the questionnaire {INTAKE_QUESTIONNAIRE}", "questionnaire")
    if resource.get("status") != "completed":
        raise ResponseError("only a completed response is an intake", "status")
    items = resource.get("item")
    if not isinstance(items, list) or not items:
        raise ResponseError("the response has no items")
    if len(str(items)) > 200_000 or len(items) > MAX_RESPONSE_ITEMS:
        raise ResponseError(f"at most {MAX_RESPONSE_ITEMS} items")
    answers: dict[str, Any] = {}
    for index, item in enumerate(items):
        where = f"item[{index}]"
        if not isinstance(item, Mapping) or not isinstance(item.get("linkId"), str):
            raise ResponseError("every item needs a linkId", where)
        link_id = item["linkId"]
        if link_id == "on":
            answers["on"] = _answers_of(item, where, many=False)
        elif link_id == "zones":
            answers["zones"] = _answers_of(item, where, many=True)
        elif link_id == "patient":
            patient: dict[str, Any] = {}
            for n, child in enumerate(_children(item, where)):
                name = child["linkId"].removeprefix("patient.")
                if name not in ("birth_date", "sex", "fitzpatrick"):
                    raise ResponseError(f"unknown item {child['linkId'][:60]!r}", f"{where}[{n}]")
                patient[name] = _answers_of(child, f"{where}.item[{n}]", many=False)
            answers["patient"] = patient
        elif link_id in LIST_TEXTS:
            entry: dict[str, Any] = {}
            for n, child in enumerate(_children(item, where)):
                name = child["linkId"].removeprefix(f"{link_id}.")
                if name != "code" and name not in {f for f, _t, _x in ITEM_FIELDS}:
                    raise ResponseError(f"unknown item {child['linkId'][:60]!r}", f"{where}[{n}]")
                entry[name] = _answers_of(child, f"{where}.item[{n}]", many=name == "zones")
            if "code" not in entry:
                raise ResponseError(f"each of {link_id} needs its code", where)
            answers.setdefault(link_id, []).append(entry)
        else:
            raise ResponseError(f"unknown item {link_id[:60]!r}", where)
    return answers
