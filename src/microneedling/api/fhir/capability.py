"""The CapabilityStatement: built from :data:`~microneedling.api.fhir.search.SEARCHES`, so it
lists exactly the resources, interactions and search parameters that are implemented."""

from __future__ import annotations

from microneedling.api.fhir.codes import (
    CODE_SYSTEMS,
    CONCERN_SYSTEM,
    INTAKE_QUESTIONNAIRE,
    SCALE_SYSTEM,
    ZONE_SYSTEM,
    concern_codes,
    scale_codes,
    zone_codes,
)
from microneedling.api.fhir.includes import includes_of
from microneedling.api.fhir.resources import Resource
from microneedling.api.fhir.search import COMMON, SEARCHES
from microneedling.api.fhir.slots import slot_parameters

FHIR_VERSION = "4.0.1"
#: What a client may create: patients (with the duplicate check) and intakes.
CREATED = ("Patient", "QuestionnaireResponse")
#: A fixed date for the statement (it changes with the software, not with the day).
STATEMENT_DATE = "2026-12-07"


def capability_statement(base: str, software_version: str) -> Resource:
    resources = [
        {
            "type": search.type,
            "documentation": search.documentation,
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "versioning": "no-version",
            "readHistory": False,
            "updateCreate": False,
            "searchParam": [
                {
                    "name": parameter.name,
                    "type": parameter.type,
                    "documentation": parameter.documentation,
                    **({"definition": parameter.definition} if parameter.definition else {}),
                }
                for parameter in search.parameters.values()
            ],
        }
        for search in SEARCHES.values()
    ]
    for resource in resources:
        if resource["type"] in CREATED:
            resource["interaction"] = [*resource["interaction"], {"code": "create"}]  # type: ignore[misc]
            resource["conditionalCreate"] = False
        include = includes_of(str(resource["type"]))
        if include:
            resource["searchInclude"] = include
    resources.append(
        {
            "type": "Slot",
            "documentation": (
                "Free time of the calendar's practitioners (computed, not stored: search only)"
            ),
            "interaction": [{"code": "search-type"}],
            "searchParam": slot_parameters(),
        }
    )
    resources.append(
        {
            "type": "Questionnaire",
            "documentation": (
                "The intake questionnaire (id intake), from the knowledge base; a "
                "QuestionnaireResponse to it is an intake"
            ),
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "versioning": "no-version",
            "readHistory": False,
            "updateCreate": False,
            "searchParam": [
                {"name": "_id", "type": "token", "documentation": "intake"},
                {"name": "url", "type": "uri", "documentation": INTAKE_QUESTIONNAIRE},
            ],
        }
    )
    for resource in resources:
        if resource["type"] == "Patient":
            resource["operation"] = [
                {
                    "name": "export",
                    "definition": (
                        "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export"
                    ),
                    "documentation": "Bulk Data export of the patients' compartments (owners)",
                },
                {
                    "name": "everything",
                    "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything",
                    "documentation": (
                        "The patient with their appointments, procedures, consents, "
                        "observations, care plans and risk assessments that the caller's "
                        "role may see; no parameters"
                    ),
                },
            ]
    code_systems = "; ".join(
        f"{url} ({', '.join(f'{code}: {text}' for code, text in codes.items())})"
        for url, codes in {
            **CODE_SYSTEMS,
            ZONE_SYSTEM: zone_codes(),
            SCALE_SYSTEM: scale_codes(),
            CONCERN_SYSTEM: concern_codes(),
        }.items()
    )
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": STATEMENT_DATE,
        "publisher": "microneedling",
        "kind": "instance",
        "software": {"name": "microneedling", "version": software_version},
        "implementation": {"description": "A microneedling clinic's records", "url": base},
        "fhirVersion": FHIR_VERSION,
        "format": ["application/fhir+json", "json"],
        "rest": [
            {
                "mode": "server",
                "documentation": (
                    "Read and search; create Patient (a patient with the same name, date of "
                    "birth and a contact detail is linked, with the same name and date of birth "
                    "only refused) and QuestionnaireResponse (an intake, screened on arrival); "
                    "a transaction Bundle of Patients (all or nothing); Bulk Data $export. "
                    "Paging: _count (at most 100) and the Bundle's next link; common "
                    f"parameters: {', '.join(COMMON)}. Unknown parameters are refused. Our code "
                    f"systems: {code_systems}"
                ),
                "security": {
                    "cors": False,
                    "service": [
                        {
                            "coding": [
                                {
                                    "system": (
                                        "http://terminology.hl7.org/CodeSystem/"
                                        "restful-security-service"
                                    ),
                                    "code": "OAuth",
                                    "display": "OAuth",
                                }
                            ],
                            "text": (
                                "A bearer token from POST /api/v1/auth/token (OAuth2 password "
                                "flow); the staff member's role and clinic apply"
                            ),
                        }
                    ],
                },
                "resource": resources,
                "interaction": [
                    {
                        "code": "transaction",
                        "documentation": "Patients only (POST Patient entries), all or nothing",
                    }
                ],
                "operation": [
                    {
                        "name": "export",
                        "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export",
                        "documentation": (
                            "Bulk Data export of the clinic (owners): Prefer: respond-async, "
                            "_type, NDJSON files; the audit log with _type=AuditEvent"
                        ),
                    }
                ],
            }
        ],
    }
