"""HL7 FHIR R4 over the clinic's records: ``/fhir/R4/…`` (docs/fhir.md).

``resources`` turns our rows into FHIR resources (pure), ``queries`` reads them for a signed-in
staff member (same roles, clinic isolation and audit as the JSON API), ``capability`` says what
is implemented, ``app`` is the ASGI application mounted at ``/fhir``.
"""
