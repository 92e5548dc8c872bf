"""Stopping messages: signed unsubscribe links (one kind, one channel, one patient) and the
preference rows that record an opt-out at once.

A token is ``clinic.patient.category.channel.signature`` with an HMAC-SHA256 signature under
the installation's signing key: it cannot be forged or altered to stop another patient's
messages, and it names no patient in clear (ids only).
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from microneedling.store.message_models import CHANNELS, STOPPABLE_CATEGORIES


def _signature(key: bytes, payload: str) -> str:
    digest = hmac.new(key, payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:20]).decode().rstrip("=")


def unsubscribe_token(
    key: bytes, clinic_id: int, patient_id: int, category: str, channel: str
) -> str:
    payload = f"{clinic_id}.{patient_id}.{category}.{channel}"
    return f"{payload}.{_signature(key, payload)}"


def read_token(key: bytes, token: str) -> tuple[int, int, str, str] | None:
    """(clinic, patient, category, channel) of a genuine token; None for anything else."""
    if not isinstance(token, str) or len(token) > 200:
        return None
    parts = token.split(".")
    if len(parts) != 5:
        return None
    clinic, patient, category, channel, signature = parts
    if (
        not (clinic.isdigit() and patient.isdigit())
        or category not in STOPPABLE_CATEGORIES
        or channel not in CHANNELS
    ):
        return None
    expected = _signature(key, ".".join(parts[:4]))
    if not hmac.compare_digest(expected, signature):
        return None
    return int(clinic), int(patient), category, channel


def unsubscribe_url(
    base: str, key: bytes, clinic_id: int, patient_id: int, category: str, channel: str
) -> str:
    return f"{base.rstrip('/')}/unsubscribe/{unsubscribe_token(key, clinic_id, patient_id, category, channel)}"
