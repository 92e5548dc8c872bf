"""The SMS provider's webhooks (docs/messages.md): inbound texts and delivery reports.

Public (the provider has no account), so each request must carry the provider's signature
(``X-Twilio-Signature``, HMAC-SHA1 under ``MICRONEEDLING_SMS_TOKEN``; see
:mod:`microneedling.services.messages.webhooks`): unsigned or forged requests get 403 and change
nothing. The signed address is ``MICRONEEDLING_MESSAGES_PUBLIC_URL`` followed by the path (the
address the provider was given), or the request's own address when that is unset. Answers are
TwiML (``application/xml``), as the provider expects.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated
from xml.sax.saxutils import escape

from anyio import to_thread
from fastapi import Header, Request
from fastapi.responses import Response
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException

from microneedling.api.context import Context, Now, Uow
from microneedling.api.routing import ApiRouter
from microneedling.api.schemas import ErrorOut
from microneedling.services.messages.webhooks import (
    MAX_FIELDS,
    MAX_VALUE_CHARS,
    delivery_report,
    inbound_reply,
    signature_ok,
)

router = ApiRouter(tags=["messages"])

#: The answers a webhook may give besides 200 (with the one error body).
WEBHOOK_ERRORS: dict[int | str, dict[str, object]] = {
    200: {"content": {"application/xml": {}}, "description": "TwiML (a reply to HELP)"},
    422: {"model": ErrorOut, "description": "The provider's form could not be read"},
    403: {"model": ErrorOut, "description": "No valid X-Twilio-Signature"},
    413: {"model": ErrorOut, "description": "A field is too long"},
    415: {"model": ErrorOut, "description": "Not a form (x-www-form-urlencoded)"},
}

INBOUND_PATH = "/messages/sms/inbound"
STATUS_PATH = "/messages/sms/status"
Signature = Annotated[str | None, Header(alias="X-Twilio-Signature")]


def _twiml(reply: str | None = None) -> Response:
    inner = f"<Message>{escape(reply)}</Message>" if reply else ""
    body = f'<?xml version="1.0" encoding="UTF-8"?><Response>{inner}</Response>'
    return Response(body, media_type="application/xml")


async def _signed_form(request: Request, context: Context, signature: str | None) -> FormData:
    """The form the provider posted, once its signature is checked (403 otherwise)."""
    config = context.settings
    if not config.sms_token:
        raise HTTPException(403, "SMS webhooks are not set up here (no SMS provider token)")
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise HTTPException(415, "The provider's request must be a form (x-www-form-urlencoded)")
    try:
        form = await request.form(max_files=0, max_fields=MAX_FIELDS)
    except Exception:  # starlette's MultiPartException, a body that is not a form
        raise HTTPException(422, "The provider's form could not be read") from None
    fields = [(name, value) for name, value in form.multi_items() if isinstance(value, str)]
    if any(len(value) > MAX_VALUE_CHARS or len(name) > 100 for name, value in fields):
        raise HTTPException(413, "A field of the provider's form is too long")
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    base = config.messages_public_url
    url = base.rstrip("/") + path if base else str(request.url)
    if not signature_ok(config.sms_token.get_secret_value(), url, fields, signature):
        raise HTTPException(403, "The request does not carry the SMS provider's signature")
    return form


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


@router.post(
    INBOUND_PATH,
    summary="An SMS a patient sent (the provider's webhook)",
    response_class=Response,
    responses=WEBHOOK_ERRORS,
)
async def sms_inbound(
    request: Request, context: Context, uow: Uow, clock: Now, signature: Signature = None
) -> Response:
    """STOP stops every SMS to that number, START restarts them, HELP is answered."""
    form = await _signed_form(request, context, signature)
    reply = await to_thread.run_sync(
        partial(inbound_reply, uow, _text(form, "From"), _text(form, "Body"), now=clock())
    )
    return _twiml(reply)


@router.post(
    STATUS_PATH,
    summary="A delivery report on an SMS (the provider's status callback)",
    response_class=Response,
    responses=WEBHOOK_ERRORS,
)
async def sms_status(
    request: Request, context: Context, uow: Uow, clock: Now, signature: Signature = None
) -> Response:
    """``delivered`` is recorded; ``undelivered`` and ``failed`` make the message failed."""
    form = await _signed_form(request, context, signature)
    report = partial(
        delivery_report,
        uow,
        _text(form, "MessageSid") or _text(form, "SmsSid"),
        _text(form, "MessageStatus") or _text(form, "SmsStatus"),
        _text(form, "ErrorCode") or None,
        now=clock(),
    )
    await to_thread.run_sync(report)
    return _twiml()
