"""Clinic records: clinics, staff, patients, intakes, consents, plans, appointments, charts,
adverse events, outcomes, photos, device and cartridge inventory, and the audit log.

Triggers make the audit log append-only and signed charts (``session_chart`` and its zones and
products) locked: UPDATE and DELETE are refused (and TRUNCATE on PostgreSQL).

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
GENESIS_HASH = "0" * 64
#: Tables whose rows may be inserted but never changed or deleted.
APPEND_ONLY = ("audit_entry", "session_chart", "chart_zone", "chart_product")


def _refuse_changes() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION microneedling_refuse_change() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '% is append-only: rows cannot be changed or deleted',
                    TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
            END
            $$
            """
        )
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION microneedling_refuse_change()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION microneedling_refuse_change()"
            )
    else:
        for table in APPEND_ONLY:
            for event in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: rows cannot be "
                    "changed or deleted'); END"
                )


def upgrade() -> None:
    op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_audit_chain_head_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain_head")),
    )
    op.create_table(
        "audit_entry",
        sa.Column("sequence", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_role", sa.String(length=20), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("entity_type", sa.String(length=40), nullable=True),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("sequence", name=op.f("pk_audit_entry")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_entry_hash")),
    )
    op.create_index(
        op.f("ix_audit_entry_clinic_id_sequence"), "audit_entry", ["clinic_id", "sequence"]
    )
    op.create_index(op.f("ix_audit_entry_patient_id"), "audit_entry", ["patient_id"])

    op.create_table(
        "clinic",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("price_list", JSON_DOCUMENT, nullable=True),
        sa.Column("policy_overrides", JSON_DOCUMENT, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinic")),
        sa.UniqueConstraint("slug", name=op.f("uq_clinic_slug")),
    )
    op.create_table(
        "device",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("manufacturer", sa.String(length=100), nullable=False),
        sa.Column("model", sa.String(length=100), nullable=False),
        sa.Column("serial_number", sa.String(length=100), nullable=False),
        sa.Column("in_service", sa.Boolean(), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('pen', 'roller', 'stamp')", name=op.f("ck_device_kind")),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_device_clinic_id_clinic")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device")),
        sa.UniqueConstraint(
            "clinic_id", "serial_number", name=op.f("uq_device_clinic_id_serial_number")
        ),
    )
    op.create_table(
        "staff_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("password_hash", sa.String(length=300), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "role IN ('owner', 'clinician', 'front_desk')", name=op.f("ck_staff_user_role")
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_staff_user_clinic_id_clinic")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_user")),
        sa.UniqueConstraint("email", name=op.f("uq_staff_user_email")),
    )
    op.create_index(op.f("ix_staff_user_clinic_id_role"), "staff_user", ["clinic_id", "role"])

    op.create_table(
        "cartridge_lot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("manufacturer", sa.String(length=100), nullable=False),
        sa.Column("product", sa.String(length=100), nullable=False),
        sa.Column("lot_number", sa.String(length=64), nullable=False),
        sa.Column("needle_count", sa.Integer(), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("quantity_received", sa.Integer(), nullable=False),
        sa.Column("recalled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recall_reason", sa.Text(), nullable=True),
        sa.Column("recalled_by", sa.Integer(), nullable=True),
        sa.CheckConstraint("quantity_received >= 0", name=op.f("ck_cartridge_lot_quantity")),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_cartridge_lot_clinic_id_clinic")
        ),
        sa.ForeignKeyConstraint(
            ["recalled_by"], ["staff_user.id"], name=op.f("fk_cartridge_lot_recalled_by_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cartridge_lot")),
        sa.UniqueConstraint(
            "clinic_id", "lot_number", name=op.f("uq_cartridge_lot_clinic_id_lot_number")
        ),
    )
    op.create_table(
        "patient",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("given_name", sa.String(length=100), nullable=False),
        sa.Column("family_name", sa.String(length=100), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("sex", sa.String(length=10), nullable=True),
        sa.Column("fitzpatrick", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.CheckConstraint("sex IN ('female', 'male', 'other')", name=op.f("ck_patient_sex")),
        sa.CheckConstraint("fitzpatrick BETWEEN 1 AND 6", name=op.f("ck_patient_fitzpatrick")),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_patient_clinic_id_clinic")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["staff_user.id"], name=op.f("fk_patient_created_by_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient")),
    )
    op.create_index(
        op.f("ix_patient_clinic_id_family_name_given_name"),
        "patient",
        ["clinic_id", "family_name", "given_name"],
    )

    op.create_table(
        "consent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("form_version", sa.String(length=32), nullable=False),
        sa.Column("text_sha256", sa.String(length=64), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signed_by_name", sa.String(length=200), nullable=False),
        sa.Column("witnessed_by", sa.Integer(), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawal_recorded_by", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('treatment', 'marketing_photos')", name=op.f("ck_consent_kind")
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_consent_clinic_id_clinic")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_consent_patient_id_patient")
        ),
        sa.ForeignKeyConstraint(
            ["withdrawal_recorded_by"],
            ["staff_user.id"],
            name=op.f("fk_consent_withdrawal_recorded_by_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["witnessed_by"], ["staff_user.id"], name=op.f("fk_consent_witnessed_by_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent")),
    )
    op.create_index(op.f("ix_consent_clinic_id"), "consent", ["clinic_id"])
    op.create_index(op.f("ix_consent_patient_id_kind"), "consent", ["patient_id", "kind"])

    op.create_table(
        "intake",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("answers", JSON_DOCUMENT, nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("earliest_date", sa.Date(), nullable=True),
        sa.Column("screening", JSON_DOCUMENT, nullable=False),
        sa.Column("knowledge_base_version", sa.String(length=32), nullable=False),
        sa.Column("knowledge_base_hash", sa.String(length=100), nullable=False),
        sa.Column("acknowledged_by", sa.Integer(), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledgement_note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "decision IN ('eligible', 'caution', 'defer', 'not_eligible')",
            name=op.f("ck_intake_decision"),
        ),
        sa.ForeignKeyConstraint(
            ["acknowledged_by"],
            ["staff_user.id"],
            name=op.f("fk_intake_acknowledged_by_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_intake_clinic_id_clinic")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_intake_patient_id_patient")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["staff_user.id"], name=op.f("fk_intake_recorded_by_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intake")),
    )
    op.create_index(op.f("ix_intake_clinic_id"), "intake", ["clinic_id"])
    op.create_index(
        op.f("ix_intake_patient_id_assessed_on"), "intake", ["patient_id", "assessed_on"]
    )

    op.create_table(
        "treatment_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("intake_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("request", JSON_DOCUMENT, nullable=False),
        sa.Column("plan", JSON_DOCUMENT, nullable=False),
        sa.Column("knowledge_base_version", sa.String(length=32), nullable=False),
        sa.Column("knowledge_base_hash", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.CheckConstraint(
            "status IN ('proposed', 'accepted', 'completed', 'cancelled')",
            name=op.f("ck_treatment_plan_status"),
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_treatment_plan_clinic_id_clinic")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["staff_user.id"], name=op.f("fk_treatment_plan_created_by_staff_user")
        ),
        sa.ForeignKeyConstraint(
            ["intake_id"], ["intake.id"], name=op.f("fk_treatment_plan_intake_id_intake")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_treatment_plan_patient_id_patient")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_treatment_plan")),
    )
    op.create_index(op.f("ix_treatment_plan_clinic_id"), "treatment_plan", ["clinic_id"])
    op.create_index(op.f("ix_treatment_plan_patient_id"), "treatment_plan", ["patient_id"])

    op.create_table(
        "appointment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("practitioner_id", sa.Integer(), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('scheduled', 'checked_in', 'completed', 'cancelled', 'no_show')",
            name=op.f("ck_appointment_status"),
        ),
        sa.CheckConstraint("duration_minutes > 0", name=op.f("ck_appointment_duration_positive")),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_appointment_clinic_id_clinic")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["staff_user.id"], name=op.f("fk_appointment_created_by_staff_user")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_appointment_patient_id_patient")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["treatment_plan.id"], name=op.f("fk_appointment_plan_id_treatment_plan")
        ),
        sa.ForeignKeyConstraint(
            ["practitioner_id"],
            ["staff_user.id"],
            name=op.f("fk_appointment_practitioner_id_staff_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointment")),
    )
    op.create_index(
        op.f("ix_appointment_clinic_id_starts_at"), "appointment", ["clinic_id", "starts_at"]
    )
    op.create_index(
        op.f("ix_appointment_patient_id_starts_at"), "appointment", ["patient_id", "starts_at"]
    )

    op.create_table(
        "outcome_assessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("scale", sa.String(length=40), nullable=False),
        sa.Column("scale_version", sa.String(length=300), nullable=False),
        sa.Column("inputs", JSON_DOCUMENT, nullable=False),
        sa.Column("score", JSON_DOCUMENT, nullable=False),
        sa.Column("band", sa.String(length=64), nullable=True),
        sa.Column("rater_id", sa.Integer(), nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("knowledge_base_version", sa.String(length=32), nullable=False),
        sa.Column("knowledge_base_hash", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_outcome_assessment_clinic_id_clinic")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_outcome_assessment_patient_id_patient")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["treatment_plan.id"],
            name=op.f("fk_outcome_assessment_plan_id_treatment_plan"),
        ),
        sa.ForeignKeyConstraint(
            ["rater_id"], ["staff_user.id"], name=op.f("fk_outcome_assessment_rater_id_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcome_assessment")),
    )
    op.create_index(op.f("ix_outcome_assessment_clinic_id"), "outcome_assessment", ["clinic_id"])
    op.create_index(op.f("ix_outcome_assessment_patient_id"), "outcome_assessment", ["patient_id"])

    op.create_table(
        "adverse_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("onset_on", sa.Date(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("resolved_on", sa.Date(), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("reported_by", sa.Integer(), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('prolonged_erythema', 'oedema', 'infection', 'herpes_reactivation', 'hyperpigmentation', 'hypopigmentation', 'allergic_reaction', 'acneiform_eruption', 'tram_track_scarring', 'granuloma', 'other')",
            name=op.f("ck_adverse_event_kind"),
        ),
        sa.CheckConstraint(
            "severity IN ('mild', 'moderate', 'severe')", name=op.f("ck_adverse_event_severity")
        ),
        sa.CheckConstraint(
            "resolved_on IS NULL OR resolved_on >= onset_on",
            name=op.f("ck_adverse_event_resolution"),
        ),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointment.id"],
            name=op.f("fk_adverse_event_appointment_id_appointment"),
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_adverse_event_clinic_id_clinic")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_adverse_event_patient_id_patient")
        ),
        sa.ForeignKeyConstraint(
            ["reported_by"], ["staff_user.id"], name=op.f("fk_adverse_event_reported_by_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adverse_event")),
    )
    op.create_index(op.f("ix_adverse_event_clinic_id"), "adverse_event", ["clinic_id"])
    op.create_index(op.f("ix_adverse_event_patient_id"), "adverse_event", ["patient_id"])

    op.create_table(
        "photo",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=True),
        sa.Column("view", sa.String(length=20), nullable=False),
        sa.Column("zone", sa.String(length=40), nullable=True),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("original_sha256", sa.String(length=64), nullable=False),
        sa.Column("stored_sha256", sa.String(length=64), nullable=False),
        sa.Column("stored_path", sa.String(length=300), nullable=False),
        sa.Column("media_type", sa.String(length=40), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("byte_size", sa.Integer(), nullable=False),
        sa.Column("added_by", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("marketing_selected_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "view IN ('front', 'left_oblique', 'right_oblique', 'left_profile', 'right_profile', 'close_up')",
            name=op.f("ck_photo_view"),
        ),
        sa.ForeignKeyConstraint(
            ["added_by"], ["staff_user.id"], name=op.f("fk_photo_added_by_staff_user")
        ),
        sa.ForeignKeyConstraint(
            ["appointment_id"], ["appointment.id"], name=op.f("fk_photo_appointment_id_appointment")
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_photo_clinic_id_clinic")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_photo_patient_id_patient")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_photo")),
    )
    op.create_index(op.f("ix_photo_clinic_id"), "photo", ["clinic_id"])
    op.create_index(op.f("ix_photo_patient_id"), "photo", ["patient_id"])

    op.create_table(
        "session_chart",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("amends_id", sa.Integer(), nullable=True),
        sa.Column("amendment_reason", sa.Text(), nullable=True),
        sa.Column("performed_on", sa.Date(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("cartridge_lot_id", sa.Integer(), nullable=False),
        sa.Column("needle_count", sa.Integer(), nullable=False),
        sa.Column("anaesthetic", sa.String(length=200), nullable=True),
        sa.Column("clinical_endpoint", sa.String(length=200), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("practitioner_id", sa.Integer(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("signed_by", sa.Integer(), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(version = 1 AND amends_id IS NULL AND amendment_reason IS NULL) OR (version > 1 AND amends_id IS NOT NULL AND amendment_reason IS NOT NULL)",
            name=op.f("ck_session_chart_amendment"),
        ),
        sa.CheckConstraint("duration_minutes > 0", name=op.f("ck_session_chart_duration")),
        sa.CheckConstraint("needle_count > 0", name=op.f("ck_session_chart_needle_count")),
        sa.ForeignKeyConstraint(
            ["amends_id"],
            ["session_chart.id"],
            name=op.f("fk_session_chart_amends_id_session_chart"),
        ),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointment.id"],
            name=op.f("fk_session_chart_appointment_id_appointment"),
        ),
        sa.ForeignKeyConstraint(
            ["cartridge_lot_id"],
            ["cartridge_lot.id"],
            name=op.f("fk_session_chart_cartridge_lot_id_cartridge_lot"),
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_session_chart_clinic_id_clinic")
        ),
        sa.ForeignKeyConstraint(
            ["device_id"], ["device.id"], name=op.f("fk_session_chart_device_id_device")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_session_chart_patient_id_patient")
        ),
        sa.ForeignKeyConstraint(
            ["practitioner_id"],
            ["staff_user.id"],
            name=op.f("fk_session_chart_practitioner_id_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["signed_by"], ["staff_user.id"], name=op.f("fk_session_chart_signed_by_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_chart")),
        sa.UniqueConstraint(
            "appointment_id", "version", name=op.f("uq_session_chart_appointment_id_version")
        ),
    )
    op.create_index(op.f("ix_session_chart_amends_id"), "session_chart", ["amends_id"])
    op.create_index(
        op.f("ix_session_chart_cartridge_lot_id"), "session_chart", ["cartridge_lot_id"]
    )
    op.create_index(op.f("ix_session_chart_clinic_id"), "session_chart", ["clinic_id"])
    op.create_index(op.f("ix_session_chart_patient_id"), "session_chart", ["patient_id"])

    op.create_table(
        "chart_product",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("chart_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("product", sa.String(length=200), nullable=False),
        sa.Column("lot_number", sa.String(length=64), nullable=True),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.CheckConstraint(
            "purpose IN ('glide', 'serum', 'post_procedure', 'other')",
            name=op.f("ck_chart_product_purpose"),
        ),
        sa.ForeignKeyConstraint(
            ["chart_id"], ["session_chart.id"], name=op.f("fk_chart_product_chart_id_session_chart")
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_chart_product_clinic_id_clinic")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chart_product")),
    )
    op.create_index(op.f("ix_chart_product_chart_id"), "chart_product", ["chart_id"])

    op.create_table(
        "chart_zone",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("chart_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("zone", sa.String(length=40), nullable=False),
        sa.Column("depth_mm", sa.Float(), nullable=False),
        sa.Column("passes", sa.Integer(), nullable=False),
        sa.CheckConstraint("depth_mm > 0 AND depth_mm <= 5", name=op.f("ck_chart_zone_depth")),
        sa.CheckConstraint("passes > 0", name=op.f("ck_chart_zone_passes")),
        sa.ForeignKeyConstraint(
            ["chart_id"], ["session_chart.id"], name=op.f("fk_chart_zone_chart_id_session_chart")
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_chart_zone_clinic_id_clinic")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chart_zone")),
        sa.UniqueConstraint("chart_id", "zone", name=op.f("uq_chart_zone_chart_id_zone")),
    )
    _refuse_changes()
    head = sa.table(
        "audit_chain_head",
        sa.column("id", sa.Integer),
        sa.column("sequence", sa.Integer),
        sa.column("hash", sa.String),
    )
    op.bulk_insert(head, [{"id": 1, "sequence": 0, "hash": GENESIS_HASH}])


def downgrade() -> None:
    op.drop_table("chart_zone")
    op.drop_table("chart_product")
    op.drop_table("session_chart")
    op.drop_table("photo")
    op.drop_table("adverse_event")
    op.drop_table("outcome_assessment")
    op.drop_table("appointment")
    op.drop_table("treatment_plan")
    op.drop_table("intake")
    op.drop_table("consent")
    op.drop_table("patient")
    op.drop_table("cartridge_lot")
    op.drop_table("staff_user")
    op.drop_table("device")
    op.drop_table("clinic")
    op.drop_table("audit_entry")
    op.drop_table("audit_chain_head")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION microneedling_refuse_change()")
