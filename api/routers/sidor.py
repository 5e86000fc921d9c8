"""``/sida/``: the caseworker's calculation page, server-rendered, Swedish, without scripts.

Log in with a token or an API key once: the server checks it and keeps its own short-lived token in
a session cookie (HttpOnly, SameSite=Strict; Secure over https). Every form carries a CSRF token
bound to the session. A calculation is shown as a preview with the same explanation as a decision's
page and records nothing; recording the decision is a second, explicit step, with the same checks
and the same log as ``POST /v1/beslut``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import jwt
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

import engine
from api import _logging, _metrics
from api._agency import stored_input
from api._auth import AuthError, Principal, authenticate, decode, issue, require
from api._context import Context
from api._oidc import OidcVerifier
from api._previous import attach_previous
from beslutslogg.omprovning import compute_stored
from engine._input import COST_TYPE_SV, COST_TYPES, INCOME_TYPE_SV, INCOME_TYPES, ROLE_SV, ROLES
from explain import render_html

router = APIRouter(tags=["sidor"], include_in_schema=False)
COOKIE = "ekbist_sida"
PERSONS, INCOMES, COSTS = 6, 8, 6
_ENV = Environment(
    loader=FileSystemLoader(str(Path(__file__).resolve().parent.parent / "templates")),
    autoescape=select_autoescape(["html"]),
)


def _csrf(request: Request, session: str) -> str:
    key = request.app.state.settings.jwt_key.encode("utf-8")
    return hmac.new(key, b"csrf:" + session.encode("ascii"), hashlib.sha256).hexdigest()


def _page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(_ENV.get_template(name).render(**context), status_code=status)


def _session(request: Request) -> tuple[Principal, str] | None:
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    try:
        return decode(request.app.state.settings, token), token
    except AuthError:
        return None


async def _form(request: Request) -> dict[str, str]:
    body = await request.body()  # bounded by the server's body limit
    try:
        parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=500)
    except (UnicodeDecodeError, ValueError):
        return {}
    return {k: v[0] for k, v in parsed.items()}


def _checked(request: Request, form: dict[str, str]) -> tuple[Principal, str] | Response:
    found = _session(request)
    if found is None:
        return RedirectResponse("/sida/logga-in", status_code=303)
    if not hmac.compare_digest(form.get("csrf", ""), _csrf(request, found[1])):
        return _page("logga_in.html", 403, titel="Logga in", fel="Formuläret har gått ut; logga in igen.")
    return found


@router.get("/sida/logga-in")
def login_page(request: Request) -> Response:
    return _page("logga_in.html", titel="Logga in", kommunens_inloggning=_oidc_login(request) is not None)


@router.post("/sida/logga-in")
async def login(request: Request) -> Response:
    form = await _form(request)
    if _oidc_login(request) is not None:
        return _page(
            "logga_in.html", 400, titel="Logga in", kommunens_inloggning=True, fel="Logga in med kommunens inloggning."
        )
    given = form.get("nyckel", "").strip()
    settings = request.app.state.settings
    try:
        who = authenticate(settings, given if given.count(".") == 2 else None, None if given.count(".") == 2 else given)
        require(who, "berakna")
    except AuthError as exc:
        return _page("logga_in.html", 401 if exc.status == 401 else 403, titel="Logga in", fel=exc.message)
    return _signed_in(
        request, RedirectResponse("/sida/berakna", status_code=303), who, min(8, settings.token_max_hours)
    )


def _signed_in(request: Request, response: Response, who: Principal, hours: float) -> Response:
    settings = request.app.state.settings
    token = issue(settings, anvandare=who.anvandare, roll=who.roll, kommun=who.kommun, hours=hours)
    response.set_cookie(
        COOKIE, token, httponly=True, samesite="strict", secure=request.url.scheme == "https", path="/sida"
    )
    return response


# -- the kommun's login: authorization code flow with PKCE ------------------------------------------
FLOW_COOKIE, FLOW_AUDIENCE, FLOW_MINUTES = "ekbist_inloggning", "ekbist-inloggningsflode", 10


def _oidc_login(request: Request) -> OidcVerifier | None:
    """The issuer, when the page is to log in through it (an issuer and a client id are configured)."""
    oidc: OidcVerifier | None = getattr(request.app.state, "oidc", None)
    return oidc if oidc is not None and oidc.config.client_id else None


def _redirect_uri(request: Request) -> str:
    base = request.app.state.settings.public_url or str(request.base_url).rstrip("/")
    return f"{base}/sida/oidc/tillbaka"


@router.get("/sida/oidc/start")
async def oidc_start(request: Request) -> Response:
    oidc = _oidc_login(request)
    if oidc is None:
        return RedirectResponse("/sida/logga-in", status_code=303)
    try:
        url, flow = await oidc.start_login(_redirect_uri(request))
    except AuthError as exc:
        return _page("logga_in.html", exc.status, titel="Logga in", kommunens_inloggning=True, fel=exc.message)
    # state, PKCE verifier and nonce wait in a signed cookie for the browser's return; SameSite=Lax,
    # because the return is a top-level navigation from the issuer's site.
    now = int(time.time())
    cookie = jwt.encode(
        {**flow, "aud": FLOW_AUDIENCE, "iat": now, "exp": now + FLOW_MINUTES * 60},
        request.app.state.settings.jwt_key,
        algorithm="HS256",
    )
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        FLOW_COOKIE,
        cookie,
        max_age=FLOW_MINUTES * 60,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/sida/oidc",
    )
    return response


@router.get("/sida/oidc/tillbaka")
async def oidc_return(request: Request) -> Response:
    oidc = _oidc_login(request)
    if oidc is None:
        return RedirectResponse("/sida/logga-in", status_code=303)

    def refused(status: int, message: str) -> Response:
        page = _page("logga_in.html", status, titel="Logga in", kommunens_inloggning=True, fel=message)
        page.delete_cookie(FLOW_COOKIE, path="/sida/oidc")
        return page

    q = request.query_params
    if q.get("error"):
        return refused(401, "Kommunens inloggning avbröts eller nekades. Försök igen.")
    try:
        flow = jwt.decode(
            request.cookies.get(FLOW_COOKIE, ""),
            request.app.state.settings.jwt_key,
            algorithms=["HS256"],
            audience=FLOW_AUDIENCE,
            options={"require": ["exp", "aud"]},
        )
    except jwt.PyJWTError:
        return refused(400, "Inloggningen har gått ut eller startades inte här. Logga in igen.")
    state, code = q.get("state", ""), q.get("code", "")
    if not isinstance(flow.get("state"), str) or not hmac.compare_digest(state.encode(), str(flow["state"]).encode()):
        return refused(400, "Inloggningen hör inte till den här webbläsaren. Logga in igen.")
    if not code or len(code) > 4096:
        return refused(400, "Kommunens inloggning gav ingen kod. Logga in igen.")
    try:
        who = await oidc.finish_login(_redirect_uri(request), code, flow)
    except AuthError as exc:
        return refused(exc.status, exc.message)
    p = Principal(who.anvandare, who.roll, who.kommun)
    try:
        require(p, "berakna")
    except AuthError as exc:
        return refused(403, exc.message)
    _logging.note_user(p.anvandare, p.roll, p.kommun)
    hours = min(8.0, request.app.state.settings.token_max_hours, (who.exp - time.time()) / 3600)
    if hours <= 0:
        return refused(401, "Kommunens token har redan gått ut. Logga in igen.")
    # A page, not a redirect: the session cookie is SameSite=Strict, and a redirect would still be
    # part of the navigation that came from the issuer's site, so the browser would not send it.
    response = _page("inloggad.html", titel="Inloggad", vem=p)
    response.delete_cookie(FLOW_COOKIE, path="/sida/oidc")
    return _signed_in(request, response, p, hours)


@router.post("/sida/logga-ut")
async def logout(request: Request) -> Response:
    response = RedirectResponse("/sida/logga-in", status_code=303)
    response.delete_cookie(COOKIE, path="/sida")
    return response


def _empty() -> dict[str, Any]:
    return {
        "period": "",
        "kommun": "",
        "hamta_ssbtek": False,
        "personer": [dict.fromkeys(("id", "roll", "fodd", "personnummer", "boendeandel"), "") for _ in range(PERSONS)],
        "inkomster": [dict.fromkeys(("person", "typ", "belopp"), "") for _ in range(INCOMES)],
        "kostnader": [dict.fromkeys(("typ", "belopp"), "") for _ in range(COSTS)],
    }


def _choices() -> dict[str, Any]:
    return {
        "roller": [(r, ROLE_SV[r].capitalize()) for r in ROLES],
        "inkomsttyper": [(t, INCOME_TYPE_SV[t].capitalize()) for t in INCOME_TYPES],
        "kostnadstyper": [(t, COST_TYPE_SV[t].capitalize()) for t in COST_TYPES],
    }


@router.get("/sida/berakna")
def calculation_page(request: Request) -> Response:
    found = _session(request)
    if found is None:
        return RedirectResponse("/sida/logga-in", status_code=303)
    who, token = found
    return _page("berakna.html", titel="Beräkna", vem=who, csrf=_csrf(request, token), v=_empty(), **_choices())


def _number(text: str) -> Any:
    t = text.strip().replace(" ", "").replace("\u00a0", "")
    if not t:
        return None
    try:
        return int(t)
    except ValueError:
        try:
            return float(t.replace(",", "."))
        except ValueError:
            return t  # the engine names the field and says what it should be


def _application(form: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The form as the contract's application, and the values to show the form again with."""
    values = _empty()
    values["period"] = form.get("period", "").strip()
    values["kommun"] = form.get("kommun", "").strip()
    values["hamta_ssbtek"] = "hamta_ssbtek" in form
    app: dict[str, Any] = {"period": values["period"], "hushall": [], "inkomster": [], "kostnader": []}
    if values["kommun"]:
        app["kommun"] = values["kommun"]
    for i in range(PERSONS):
        p: dict[str, Any] = {
            k: form.get(f"p{i}_{k}", "").strip() for k in ("id", "roll", "fodd", "personnummer", "boendeandel")
        }
        p["lunch"], p["skolgang"] = f"p{i}_lunch" in form, f"p{i}_skolgang" in form
        values["personer"][i] = p
        if not p["id"] and not p["roll"]:
            continue
        person: dict[str, Any] = {"id": p["id"], "roll": p["roll"]}
        if p["fodd"]:
            person["fodd"] = p["fodd"]
        if p["personnummer"]:
            person["personnummer"] = p["personnummer"]
        if p["boendeandel"]:
            person["boendeandel"] = _number(p["boendeandel"])
        if p["lunch"]:
            person["lunch_utanfor_hemmet"] = True
        if p["skolgang"]:
            person["skolgang"] = True
        app["hushall"].append(person)
    for j in range(INCOMES):
        row = {k: form.get(f"i{j}_{k}", "").strip() for k in ("person", "typ", "belopp")}
        values["inkomster"][j] = row
        if row["typ"] or row["belopp"]:
            app["inkomster"].append({"person": row["person"], "typ": row["typ"], "belopp": _number(row["belopp"])})
    for k in range(COSTS):
        row = {key: form.get(f"c{k}_{key}", "").strip() for key in ("typ", "belopp")}
        values["kostnader"][k] = row
        if row["typ"] or row["belopp"]:
            app["kostnader"].append({"typ": row["typ"], "belopp": _number(row["belopp"])})
    return app, values


def _embedded(result: dict[str, Any]) -> str:
    """The explanation page's content, to show inside this page (the same HTML as a decision's)."""
    page = render_html(result)
    body = page[page.index("<main>") + len("<main>") : page.rindex("</main>")]
    return body.replace("<h1", "<h3").replace("</h1>", "</h3>").replace("<h2", "<h3").replace("</h2>", "</h3>")


@router.post("/sida/berakna")
async def calculate(request: Request, ctx: Context) -> Response:
    form = await _form(request)
    checked = _checked(request, form)
    if isinstance(checked, Response):
        return checked
    who, token = checked
    app, values = _application(form)
    common = {"titel": "Beräkna", "vem": who, "csrf": _csrf(request, token), "v": values, **_choices()}
    previous = None
    try:
        if _has_applicant_number(app):  # the household's previous decision, for the history controls
            previous = await attach_previous(ctx, who, request, app)
        bundle = ctx.rules.current()
        indata = await stored_input(ctx.agency, app, None, values["hamta_ssbtek"], bundle)
        result, needed, shown = await ctx.compute(lambda: _computed(bundle, indata))
        _metrics.calculated(result, "berakning")
    except engine.InputError as exc:
        return _page("berakna.html", 422, fel=[str(p) for p in exc.problems], **common)
    except Exception as exc:  # an agency fetch the API reports as 4xx/5xx: shown, never a traceback
        message = getattr(exc, "detail", None) or getattr(exc, "message", None) or "beräkningen kunde inte göras"
        return _page("berakna.html", 422, fel=[str(message)], **common)
    from explain._chart import wage_chart_svg

    return _page(
        "berakna.html",
        forklaring=_embedded(result),
        diagram=wage_chart_svg(result),
        underlag=needed,
        behovs_inte=shown,
        foregaende=previous,
        ansokan_json=json.dumps(indata, ensure_ascii=False),
        belopp=result["forsorjningsstod"],
        **common,
    )


def _computed(
    bundle: engine.RuleBundle, indata: dict[str, Any]
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """The result with what would change it, and the verifications to hand in (as the e-service gets them)."""
    from api.routers.ansokningar import _check

    result, needed, shown = _check(bundle, indata)
    result["kontrafaktiskt"] = engine.counterfactual(bundle, indata["ansokan"], curve=True)
    return result, needed, shown


def _has_applicant_number(app: dict[str, Any]) -> bool:
    return any(p.get("roll") == "sokande" and p.get("personnummer") for p in app.get("hushall") or [])


def _values_from(app: dict[str, Any]) -> dict[str, Any]:
    """An application as the form's values (for a pre-filled renewed application)."""
    values = _empty()
    values["period"] = str(app.get("period", ""))
    values["kommun"] = str(app.get("kommun", "") or "")
    for i, p in enumerate((app.get("hushall") or [])[:PERSONS]):
        values["personer"][i] = {
            "id": p.get("id", ""),
            "roll": p.get("roll", ""),
            "fodd": p.get("fodd", ""),
            "personnummer": p.get("personnummer", ""),
            "boendeandel": p.get("boendeandel", ""),
            "lunch": bool(p.get("lunch_utanfor_hemmet")),
            "skolgang": bool(p.get("skolgang")),
        }
    for j, row in enumerate((app.get("inkomster") or [])[:INCOMES]):
        values["inkomster"][j] = {
            "person": row.get("person", ""),
            "typ": row.get("typ", ""),
            "belopp": row.get("belopp", ""),
        }
    for k, row in enumerate((app.get("kostnader") or [])[:COSTS]):
        values["kostnader"][k] = {"typ": row.get("typ", ""), "belopp": row.get("belopp", "")}
    return values


@router.post("/sida/forifyll")
async def renewed_page(request: Request, ctx: Context) -> Response:
    """The renewed application: next month's form filled from the household's last decision."""
    from api._errors import HttpError
    from api.routers.ansokningar import last_decision, renewed

    form = await _form(request)
    checked = _checked(request, form)
    if isinstance(checked, Response):
        return checked
    who, token = checked
    common = {"titel": "Beräkna", "vem": who, "csrf": _csrf(request, token), **_choices()}
    number = form.get("personnummer", "").strip()[:20]
    try:
        record = await last_decision(ctx, who, request, number, "förnyad ansökan på beräkningssidan")
    except AuthError as exc:
        return _page("berakna.html", exc.status, v=_empty(), fel=[exc.message], **common)
    except HttpError as exc:
        fel = exc.body["fel"]
        lines = [f"{f['falt']}: {f['meddelande']}" for f in fel] if isinstance(fel, list) else [str(fel)]
        return _page("berakna.html", exc.status, v=_empty(), fel=lines, **common)
    previous = record.indata.get("ansokan") or {}
    app, _ = renewed(previous, engine.Month.parse(str(previous["period"])) + 1)
    return _page("berakna.html", v=_values_from(app), forifylld=record.id, **common)


@router.post("/sida/beslut")
async def record(request: Request, ctx: Context) -> Response:
    form = await _form(request)
    checked = _checked(request, form)
    if isinstance(checked, Response):
        return checked
    who, token = checked
    try:
        require(who, "registrera_beslut")
    except AuthError as exc:
        return _page("logga_in.html", 403, titel="Logga in", vem=who, csrf=_csrf(request, token), fel=exc.message)
    from api._bodies import BeslutData

    try:
        indata = json.loads(form.get("ansokan", ""))
        decision = BeslutData.model_validate(
            {
                "utfall": form.get("utfall"),
                "belopp": _number(form.get("belopp", "")),
                "motivering": form.get("motivering"),
            }
        )
    except Exception:
        return _page(
            "berakna.html",
            422,
            titel="Beräkna",
            vem=who,
            csrf=_csrf(request, token),
            v=_empty(),
            fel=["beslutet saknar utfall, belopp (hela kronor) eller motivering"],
            **_choices(),
        )
    if not isinstance(indata, dict) or not isinstance(indata.get("ansokan"), dict):
        return RedirectResponse("/sida/berakna", status_code=303)
    kommun = indata["ansokan"].get("kommun")
    if kommun is not None and str(kommun) != who.kommun:
        return _page(
            "berakna.html",
            403,
            titel="Beräkna",
            vem=who,
            csrf=_csrf(request, token),
            v=_empty(),
            fel=[f"ansökan gäller kommun {str(kommun)[:8]}, men du registrerar för {who.kommun}"],
            **_choices(),
        )
    bundle = ctx.rules.current()
    try:
        result = await ctx.compute(lambda: compute_stored(bundle, indata))
        _metrics.calculated(result, "beslut")
    except engine.InputError as exc:
        return _page(
            "berakna.html",
            422,
            titel="Beräkna",
            vem=who,
            csrf=_csrf(request, token),
            v=_empty(),
            fel=[str(p) for p in exc.problems],
            **_choices(),
        )
    rec = await run_in_threadpool(
        lambda: ctx.log.append(
            kommun=who.kommun,
            anvandare=who.anvandare,
            roll=who.roll,
            indata=indata,
            resultat=result,
            beslut_data=decision.model_dump(exclude_none=True),
            bundle=bundle,
        )
    )
    meta = {
        "id": rec.id,
        "tidpunkt": rec.tidpunkt,
        "anvandare": rec.anvandare,
        "kommun": rec.kommun,
        "hash": rec.hash,
        "beslut": rec.beslut,
        "demo": ctx.settings.demo,
    }
    return HTMLResponse(render_html(result, meta), status_code=201)
