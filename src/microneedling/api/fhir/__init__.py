"""HL7 FHIR R4 over the clinic's records: ``/fhir/R4/…`` (docs/fhir.md).

``codes`` holds the code and identifier systems; ``resources`` and ``clinical_resources`` turn
our rows into FHIR resources (pure); ``queries`` reads them for a signed-in staff member (same
roles, clinic isolation and audit as the JSON API); ``search`` reads the search parameters and
drives both the searches and ``capability`` (the CapabilityStatement); ``app`` is the ASGI
application, mounted at ``/fhir`` inside the JSON API's application.
"""
