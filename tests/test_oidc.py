"""The kommun's login: access tokens from an OpenID Connect issuer, and the page's code flow with PKCE.

The issuer is :mod:`tests.idp`, on 127.0.0.1, with keys made in the test. Expected outcomes are the
issue's: role and kommun from the token's claims, key rotation picked up, a token from another
issuer or for another audience refused, and ekbist's own HS256 tokens still working beside them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from api._oidc import OidcConfig
from api._settings import Settings
from tests.api_helpers import APP, DECISION, auth, make_client
from tests.idp import AUDIENCE, CLIENT_ID, Key, TestIdp, oidc_env, running_idp


@pytest.fixture
def idp() -> Iterator[TestIdp]:
    yield from running_idp()


def _config(idp: TestIdp, **extra: str) -> OidcConfig:
    problems: list[str] = []
    found = OidcConfig.from_env({**oidc_env(idp), "EKBIST_OIDC_NYCKELPAUS": "0", **extra}, problems)
    assert problems == [] and found is not None
    return found


def _client(tmp_path: Path, idp: TestIdp, **extra: str) -> Any:
    client, _ = make_client(f"sqlite:///{tmp_path / 'beslut.sqlite3'}", oidc=_config(idp, **extra))
    return client


def _hs256_with(claims: dict[str, Any], secret: bytes, kid: str) -> str:
    """An HS256 token made by hand (PyJWT refuses a PEM key as an HMAC secret, as it should)."""

    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    head = part(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
    body = part(json.dumps(claims).encode())
    mac = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{part(mac)}"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_token_from_the_issuer_computes_and_records_with_its_role_and_kommun(tmp_path: Path, idp: TestIdp) -> None:
    client = _client(tmp_path, idp)
    token = idp.token(sub="anna.andersson", roles=["handlaggare"], kommun="1480")
    r = client.post("/v1/berakningar", json={"ansokan": APP}, headers=_bearer(token))
    assert r.status_code == 200, r.text
    r = client.post("/v1/beslut", json={"ansokan": APP, "beslut": DECISION}, headers=_bearer(token))
    assert r.status_code == 201, r.text
    listed = client.get("/v1/beslut", headers=_bearer(token)).json()["beslut"]
    assert [(b["anvandare"], b["kommun"]) for b in listed] == [("anna.andersson", "1480")]
    # another kommun's caseworker does not see it; ekbist's own tokens still work beside the issuer's
    other = idp.token(sub="bertil", roles=["handlaggare"], kommun="0180")
    assert client.get("/v1/beslut", headers=_bearer(other)).json()["beslut"] == []
    assert client.get("/v1/beslut", headers=auth("handlaggare", kommun="1480")).status_code == 200
    # a revisor from the issuer may read but not record
    revisor = idp.token(sub="rita", roles=["revisor"], kommun="0180")
    assert (
        client.post("/v1/beslut", json={"ansokan": APP, "beslut": DECISION}, headers=_bearer(revisor)).status_code
        == 403
    )
    assert len(client.get("/v1/beslut", headers=_bearer(revisor)).json()["beslut"]) == 1


def test_es256_is_accepted_too(tmp_path: Path, idp: TestIdp) -> None:
    client = _client(tmp_path, idp)
    es = next(k for k in idp.keys if k.alg == "ES256")
    r = client.post("/v1/berakningar", json={"ansokan": APP}, headers=_bearer(idp.token(es)))
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"iss": "https://annan.example.se"}, "annan utfärdare"),
        ({"aud": "api://nagot-annat"}, "fel mottagare"),
        ({"exp": int(time.time()) - 3600, "iat": int(time.time()) - 4000}, "gått ut"),
        ({"iat": int(time.time()), "exp": int(time.time()) + 48 * 3600}, "längre än tillåtet"),
        ({"roles": ["lasare"]}, "ingen roll"),
        ({"roles": ["handlaggare", "revisor"]}, "flera roller"),
        ({"kommun": "Stockholm"}, "ingen kommun"),
        ({"sub": None}, "användaren"),
    ],
)
def test_tokens_the_issuer_would_not_vouch_for_are_refused(
    tmp_path: Path, idp: TestIdp, change: dict[str, Any], message: str
) -> None:
    client = _client(tmp_path, idp)
    r = client.post("/v1/berakningar", json={"ansokan": APP}, headers=_bearer(idp.token(**change)))
    assert r.status_code in (401, 403) and message in r.json()["fel"], r.text


def test_forged_keys_and_algorithm_tricks_are_refused(tmp_path: Path, idp: TestIdp) -> None:
    client = _client(tmp_path, idp)
    real = idp.signing
    impostor = Key("RS256")
    impostor.kid = real.kid  # same kid, another private key
    forged = idp.token(impostor)
    unknown = idp.token(Key("RS256"))  # a key the issuer never published
    now = int(time.time())
    claims = {**idp.user, "iss": idp.issuer, "aud": AUDIENCE, "iat": now, "exp": now + 600}
    public_pem = real.private.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    # HS256 signed with the issuer's public key as the secret: the classic confusion; and "none"
    confused = _hs256_with(claims, public_pem, real.kid)
    unsigned = jwt.encode(claims, None, algorithm="none", headers={"kid": real.kid})
    for token in (forged, unknown, confused, unsigned):
        r = client.post("/v1/berakningar", json={"ansokan": APP}, headers=_bearer(token))
        assert r.status_code == 401, (token[:20], r.text)


def test_key_rotation_is_picked_up_and_unknown_kids_do_not_flood_the_issuer(tmp_path: Path, idp: TestIdp) -> None:
    client = _client(tmp_path, idp, EKBIST_OIDC_NYCKELPAUS="0")
    assert client.post("/v1/berakningar", json={"ansokan": APP}, headers=_bearer(idp.token())).status_code == 200
    fetched = idp.jwks_fetches
    assert client.post("/v1/berakningar", json={"ansokan": APP}, headers=_bearer(idp.token())).status_code == 200
    assert idp.jwks_fetches == fetched  # cached
    old = idp.signing
    idp.rotate()
    r = client.post("/v1/berakningar", json={"ansokan": APP}, headers=_bearer(idp.token()))
    assert r.status_code == 200, r.text  # the new kid made ekbist fetch the keys again
    assert idp.jwks_fetches == fetched + 1
    retired = client.post("/v1/berakningar", json={"ansokan": APP}, headers=_bearer(idp.token(old)))
    assert retired.status_code == 401  # the old key left the JWKS

    # with the configured pause, a stream of made-up kids costs the issuer one fetch, not one each
    (tmp_path / "b").mkdir()
    slow = _client(tmp_path / "b", idp, EKBIST_OIDC_NYCKELPAUS="60")
    assert slow.post("/v1/berakningar", json={"ansokan": APP}, headers=_bearer(idp.token())).status_code == 200
    before = idp.jwks_fetches
    for _ in range(20):
        r = slow.post("/v1/berakningar", json={"ansokan": APP}, headers=_bearer(idp.token(Key("ES256"))))
        assert r.status_code == 401
    assert idp.jwks_fetches - before <= 1


def test_an_issuer_that_moves_its_key_set_is_followed_without_a_restart(
    tmp_path: Path, idp: TestIdp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The discovery document is read again when due (the hour passes on a clock of the test's own):
    keys at a new address are found; while the document cannot be read, the last good one serves."""
    import api._oidc

    class Clock:
        now = 1000.0

        def monotonic(self) -> float:
            return self.now

    clock = Clock()
    monkeypatch.setattr(api._oidc, "time", clock)
    client = _client(tmp_path, idp)
    assert client.post("/v1/berakningar", json={"ansokan": APP}, headers=_bearer(idp.token())).status_code == 200
    new = Key("RS256")
    idp.moved_keys["/nycklar-2"] = [new]
    idp.jwks_path = "/nycklar-2"
    clock.now += api._oidc.METADATA_LIFESPAN_S - 1
    moved = client.post("/v1/berakningar", json={"ansokan": APP}, headers=_bearer(idp.token(new)))
    assert moved.status_code == 401  # the document is not due yet: the old address has no such key
    clock.now += 2
    moved = client.post("/v1/berakningar", json={"ansokan": APP}, headers=_bearer(idp.token(new)))
    assert moved.status_code == 200, moved.text
    idp.discovery_status = 500  # the issuer's document cannot be read; its keys can
    newer = Key("RS256")
    idp.moved_keys["/nycklar-2"].append(newer)
    clock.now += api._oidc.METADATA_LIFESPAN_S + 1
    reads = idp.discovery_reads
    r = client.post("/v1/berakningar", json={"ansokan": APP}, headers=_bearer(idp.token(newer)))
    assert r.status_code == 200, r.text
    assert idp.discovery_reads == reads + 1  # it was asked, failed, and the last good document served
    newest = Key("RS256")
    idp.moved_keys["/nycklar-2"].append(newest)
    clock.now += api._oidc.METADATA_RETRY_S - 1
    r = client.post("/v1/berakningar", json={"ansokan": APP}, headers=_bearer(idp.token(newest)))
    assert r.status_code == 200 and idp.discovery_reads == reads + 1  # not asked again within the minute


def test_role_and_kommun_from_configured_claims(tmp_path: Path, idp: TestIdp) -> None:
    """Keycloak style: roles under realm_access.roles, the kommun as a group name."""
    client = _client(
        tmp_path,
        idp,
        EKBIST_OIDC_ROLL_ANSPRAK="realm_access.roles",
        EKBIST_OIDC_ROLLER="ekbist-handlaggare=handlaggare,ekbist-revisor=revisor",
        EKBIST_OIDC_KOMMUN_ANSPRAK="groups",
        EKBIST_OIDC_KOMMUN_MONSTER=r"^/kommun-(\d{4})$",
        EKBIST_OIDC_ANVANDARE_ANSPRAK="preferred_username",
    )
    token = idp.token(
        roles=None,
        kommun=None,
        preferred_username="anna.a",
        realm_access={"roles": ["offline_access", "ekbist-handlaggare"]},
        groups=["/alla", "/kommun-1280"],
    )
    r = client.post("/v1/beslut", json={"ansokan": APP, "beslut": DECISION}, headers=_bearer(token))
    assert r.status_code == 201, r.text
    listed = client.get("/v1/beslut", headers=_bearer(token)).json()["beslut"]
    assert [(b["anvandare"], b["kommun"]) for b in listed] == [("anna.a", "1280")]
    two = idp.token(
        roles=None,
        preferred_username="anna.a",
        realm_access={"roles": ["ekbist-handlaggare"]},
        groups=["/kommun-1280", "/kommun-0180"],
    )
    r = client.post("/v1/berakningar", json={"ansokan": APP}, headers=_bearer(two))
    assert r.status_code == 403 and "flera kommuner" in r.json()["fel"]


def test_an_issuer_that_is_down_or_slow_answers_503_quickly(tmp_path: Path, idp: TestIdp) -> None:
    idp.jwks_delay = 5
    client = _client(tmp_path, idp, EKBIST_OIDC_TIDSGRANS="0.5")
    start = time.monotonic()
    r = client.post("/v1/berakningar", json={"ansokan": APP}, headers=_bearer(idp.token()))
    assert r.status_code == 503 and "svarar inte" in r.json()["fel"]
    assert time.monotonic() - start < 4
    assert client.get("/healthz").status_code == 200
    # the logins right behind a failure fail at once instead of each waiting out the issuer again
    start = time.monotonic()
    for _ in range(10):
        r = client.post("/v1/berakningar", json={"ansokan": APP}, headers=_bearer(idp.token()))
        assert r.status_code == 503
    assert time.monotonic() - start < 1.5
    idp.jwks_delay = 0
    idp.shutdown()
    idp.server_close()
    (tmp_path / "ner").mkdir()
    down = _client(tmp_path / "ner", idp)
    r = down.post("/v1/berakningar", json={"ansokan": APP}, headers=_bearer(idp.token()))
    assert r.status_code == 503, r.text


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"EKBIST_OIDC_UTFARDARE": "http://idp.kommun.se"}, "https-adress"),
        ({"EKBIST_OIDC_MOTTAGARE": ""}, "EKBIST_OIDC_MOTTAGARE saknas"),
        ({"EKBIST_OIDC_ROLLER": "grupp=chef"}, "EKBIST_OIDC_ROLLER"),
        ({"EKBIST_OIDC_KOMMUN_MONSTER": "kommun-("}, "reguljärt uttryck"),
        ({"EKBIST_OIDC_KOMMUN_MONSTER": r"kommun-\d{4}"}, "exakt en grupp"),
        ({"EKBIST_OIDC_TIDSGRANS": "aldrig"}, "EKBIST_OIDC_TIDSGRANS"),
        ({"EKBIST_OIDC_UTFARDARE": "", "EKBIST_OIDC_KLIENT": "ekbist"}, "EKBIST_OIDC_UTFARDARE saknas"),
    ],
)
def test_settings_name_each_problem(env: dict[str, str], message: str) -> None:
    base = {
        "EKBIST_JWT_KEY": "k" * 40,
        "EKBIST_LOGG_NYCKEL": "l" * 40,
        "EKBIST_OIDC_UTFARDARE": "https://idp.kommun.se/realms/ekbist",
        "EKBIST_OIDC_MOTTAGARE": "ekbist",
    }
    with pytest.raises(ValueError, match=message):
        Settings.from_env("sqlite://", env={**base, **env})


# -- the page: authorization code flow with PKCE ----------------------------------------------------
def _follow_login(client: Any, idp: TestIdp) -> httpx.Response:
    start = client.get("/sida/oidc/start", follow_redirects=False)
    assert start.status_code == 303
    target = urlsplit(start.headers["location"])
    q = {k: v[0] for k, v in parse_qs(target.query).items()}
    assert target.path == "/authorize" and q["code_challenge_method"] == "S256" and len(q["code_challenge"]) == 43
    assert q["client_id"] == CLIENT_ID and "nonce" in q and "state" in q
    assert "samesite=lax" in start.headers["set-cookie"].lower()
    # the user logs in at the issuer, which sends the browser back with a code
    back = httpx.post(f"{idp.issuer}/authorize", data=q, follow_redirects=False)
    returned = urlsplit(back.headers["location"])
    assert returned.path == "/sida/oidc/tillbaka"
    return client.get(f"/sida/oidc/tillbaka?{returned.query}")


def test_the_page_logs_in_through_the_issuer(tmp_path: Path, idp: TestIdp) -> None:
    client = _client(tmp_path, idp)
    login = client.get("/sida/logga-in")
    assert "Logga in med kommunens inloggning" in login.text and 'name="nyckel"' not in login.text
    done = _follow_login(client, idp)
    assert done.status_code == 200 and "Du är inloggad" in done.text, done.text
    assert "anna.handlaggare" in done.text and "0180" in done.text
    assert idp.token_requests[-1]["code_verifier"]  # the verifier went to the token endpoint, checked there
    page = client.get("/sida/berakna")
    assert page.status_code == 200 and "anna.handlaggare (handlaggare, kommun 0180)" in page.text
    # the demo form is closed while the issuer is configured
    assert client.post("/sida/logga-in", data={"nyckel": "x" * 40}).status_code == 400


def test_the_page_refuses_a_return_that_is_not_its_own(tmp_path: Path, idp: TestIdp) -> None:
    client = _client(tmp_path, idp)
    start = client.get("/sida/oidc/start", follow_redirects=False)
    q = {k: v[0] for k, v in parse_qs(urlsplit(start.headers["location"]).query).items()}
    back = urlsplit(httpx.post(f"{idp.issuer}/authorize", data=q, follow_redirects=False).headers["location"])
    code = parse_qs(back.query)["code"][0]
    wrong_state = client.get(f"/sida/oidc/tillbaka?code={code}&state=annan")
    assert wrong_state.status_code == 400 and "hör inte till" in wrong_state.text
    (tmp_path / "b").mkdir()
    stranger = _client(tmp_path / "b", idp)  # no flow cookie: a login started elsewhere
    assert stranger.get(f"/sida/oidc/tillbaka?{back.query}").status_code == 400
    denied = client.get("/sida/oidc/tillbaka?error=access_denied&state=x")
    assert denied.status_code == 401 and "avbröts" in denied.text
    assert client.get("/sida/berakna", follow_redirects=False).status_code == 303  # not logged in


def test_the_page_refuses_a_role_that_may_not_compute(tmp_path: Path, idp: TestIdp) -> None:
    client = _client(tmp_path, idp)
    idp.user = {"sub": "rita", "roles": ["revisor"], "kommun": "0180"}
    done = _follow_login(client, idp)
    assert done.status_code == 403 and "revisor" in done.text
    assert client.get("/sida/berakna", follow_redirects=False).status_code == 303


def test_the_openapi_document_names_the_issuer(tmp_path: Path, idp: TestIdp) -> None:
    doc = _client(tmp_path, idp).get("/openapi.json").json()
    scheme = doc["components"]["securitySchemes"]["KommunensInloggning"]
    assert scheme["type"] == "openIdConnect"
    assert scheme["openIdConnectUrl"] == f"{idp.issuer}/.well-known/openid-configuration"
    assert {"KommunensInloggning": []} in doc["paths"]["/v1/berakningar"]["post"]["security"]
    assert "security" not in doc["paths"]["/healthz"]["get"]
