"""The public unsubscribe page: the link every e-mail to a patient carries (``/unsubscribe/{token}``,
:mod:`microneedling.services.messages.optout`).

- ``GET`` shows what the link stops and a button; it never changes anything (mail scanners and
  link previews open links).
- ``POST`` records the opt-out at once. It is also the RFC 8058 one-click unsubscribe: mail
  programs post ``List-Unsubscribe=One-Click`` to the address in the ``List-Unsubscribe`` header
  (with ``List-Unsubscribe-Post``), with no page, no cookie and no CSRF token. So this POST takes
  no CSRF token: the signed token in the address is what authorises it, and all it can do is stop
  one kind of message to one patient. (The ``Origin`` check of ``web.security`` still refuses a
  browser form posted from another site.)

Neither says anything about the patient; a link that is not genuine gets the same 404 page
whatever is wrong with it.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, Response

from microneedling.services.messages.preferences import unsubscribe, unsubscribe_preview
from microneedling.web.context import WebApp, web_app

router = APIRouter()


def _key(app: WebApp) -> bytes | None:
    key = app.settings.messages_signing_key
    return key.get_secret_value().encode() if key else None


def _page(app: WebApp, status: int, **context: object) -> HTMLResponse:
    values = {"found": None, "token": None, **context}
    html = app.templates.get_template("messages_unsubscribe.html.j2").render(**values)
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


def _not_genuine(app: WebApp) -> HTMLResponse:
    return _page(app, 404, state="invalid", title="This link does not work")


@router.get("/unsubscribe/{token}")
def unsubscribe_page(token: str, app: WebApp = Depends(web_app)) -> Response:
    key = _key(app)
    found = unsubscribe_preview(app.uow(), key, token) if key else None
    if found is None:
        return _not_genuine(app)
    return _page(app, 200, state="ask", title="Stop these messages", found=found, token=token)


@router.post("/unsubscribe/{token}")
def unsubscribe_now(token: str, app: WebApp = Depends(web_app)) -> Response:
    key = _key(app)
    found = unsubscribe_preview(app.uow(), key, token) if key else None
    if key is None or found is None:
        return _not_genuine(app)
    if unsubscribe(app.uow(), key, token, now=app.clock()) is None:
        return _not_genuine(app)
    return _page(app, 200, state="done", title="You will not get these messages", found=found)
