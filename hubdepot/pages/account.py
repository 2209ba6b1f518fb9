"""The home page, profiles, and signing in and out (GitHub's form: GET /login, POST /session,
POST /logout; every form carries a CSRF token, see services/sessions)."""

from __future__ import annotations

from urllib.parse import unquote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from hubdepot import errors
from hubdepot.hub import Hub
from hubdepot.pages.render import ANONYMOUS_SECONDS, csrf_anchor, html, page, redirect, secure
from hubdepot.services import Actor, sessions
from hubdepot.services import pages as service

FORM_MAX_FIELDS = 10


@page
def home(request: Request, hub: Hub, actor: Actor | None) -> Response:
    return html(request, "home.html", repos=service.home(hub, actor))


@page(cache_seconds=ANONYMOUS_SECONDS)
def owner(request: Request, hub: Hub, actor: Actor | None) -> Response:
    found = service.owner(hub, actor, request.path_params["owner"])
    return html(request, "owner.html", account=found.account, repos=found.repos)


RETURN_TO_MAX = 2000


def _return_to(value: str | None) -> str:
    """Where to go after signing in: a path on this site, never another origin. The value, and the value
    percent-decoded, must be printable ASCII (browsers drop tabs and newlines: "/\\t/x" is "//x"; a
    header holds no CR/LF), start with "/" and hold no "//" or "\\" (a "/" to browsers); else "/"."""
    if not value or len(value) > RETURN_TO_MAX:
        return "/"
    return value if _same_origin_path(value) and _same_origin_path(_decoded(value)) else "/"


def _same_origin_path(value: str | None) -> bool:
    return (
        value is not None
        and value.startswith("/")
        and "//" not in value
        and "\\" not in value
        and all(" " <= ch <= "~" for ch in value)
    )


def _decoded(value: str) -> str | None:
    try:
        return unquote(value, errors="strict")
    except UnicodeDecodeError:
        return None


@page
def login_form(request: Request, hub: Hub, actor: Actor | None) -> Response:
    back = _return_to(request.query_params.get("return_to"))
    if actor is not None and request.cookies.get(sessions.SESSION_COOKIE):
        return redirect(back)
    return html(request, "login.html", form=True, return_to=back, login_name="", error=None)


async def session(request: Request) -> Response:
    """POST /session: check the CSRF token, the throttle and the password; set the session cookie."""
    hub = request.app.state.hub
    form = await request.form(max_files=0, max_fields=FORM_MAX_FIELDS)
    login, password = str(form.get("login") or "").strip(), str(form.get("password") or "")
    back = _return_to(str(form.get("return_to") or ""))
    anchor, _ = csrf_anchor(request, form=False)
    sessions.check_csrf(hub, anchor, str(form.get("authenticity_token") or ""))
    ip = request.client.host if request.client else "unknown"
    try:
        account = await run_in_threadpool(sessions.sign_in, hub, login, password, ip)
    except errors.Unauthenticated as exc:
        return await run_in_threadpool(_failed, request, login, back, exc, 401)
    except errors.RateLimited as exc:
        return await run_in_threadpool(_failed, request, login, back, exc, 429)
    response = redirect(back)
    response.set_cookie(
        sessions.SESSION_COOKIE,
        sessions.session_value(hub, account),
        max_age=sessions.SESSION_SECONDS,
        httponly=True,
        samesite="lax",
        secure=secure(request),
        path="/",
    )
    return response


def _failed(request: Request, login: str, back: str, exc: errors.HubdepotError, status: int) -> Response:
    headers = {"retry-after": str(exc.extra["retry_after"])} if "retry_after" in exc.extra else None
    return html(
        request,
        "login.html",
        status=status,
        headers=headers,
        form=True,
        return_to=back,
        login_name=login,
        error=exc.message,
    )


async def logout(request: Request) -> Response:
    """POST /logout: end the session (the form's CSRF token is bound to it)."""
    hub = request.app.state.hub
    form = await request.form(max_files=0, max_fields=FORM_MAX_FIELDS)
    value = request.cookies.get(sessions.SESSION_COOKIE)
    sessions.check_csrf(hub, value, str(form.get("authenticity_token") or ""))
    await run_in_threadpool(sessions.sign_out, hub, value)
    response = redirect("/")
    response.delete_cookie(sessions.SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=secure(request))
    return response
