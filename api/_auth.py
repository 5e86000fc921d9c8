"""Who may do what: bearer tokens (JWT, HS256) or API keys; the kommun comes from the token.

handlaggare: compute, record decisions, read and replay their own kommun's decisions.
revisor: read and replay every kommun's decisions; write nothing.
regelforvaltare: read rules and amounts, compute; no decisions.
A link token (claim ``beslut``) opens one decision's explanation page and nothing else.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import jwt

from api._settings import Settings

ROLES = ("handlaggare", "revisor", "regelforvaltare")
ALGORITHM = "HS256"

PERMISSIONS: dict[str, frozenset[str]] = {
    "berakna": frozenset({"handlaggare", "regelforvaltare"}),
    "lasa_regler": frozenset({"handlaggare", "revisor", "regelforvaltare"}),
    "registrera_beslut": frozenset({"handlaggare"}),
    "lasa_beslut": frozenset({"handlaggare", "revisor"}),
    "omprova": frozenset({"handlaggare", "revisor"}),
}
ALL_KOMMUNER = frozenset({"revisor"})


class AuthError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Principal:
    anvandare: str
    roll: str
    kommun: str
    beslut: str | None = None  # a link token for one decision


def issue(
    settings: Settings, *, anvandare: str, roll: str, kommun: str, hours: float = 8, beslut: str | None = None
) -> str:
    if roll not in ROLES:
        raise ValueError(f"okänd roll '{roll}'; roller: {', '.join(ROLES)}")
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": anvandare,
        "roll": roll,
        "kommun": kommun,
        "iat": now,
        "exp": now + int(hours * 3600),
    }
    if beslut:
        claims["beslut"] = beslut
    return jwt.encode(claims, settings.jwt_key, algorithm=ALGORITHM)


def authenticate(
    settings: Settings, authorization: str | None, api_key: str | None, link: str | None = None
) -> Principal:
    if api_key:
        k = settings.api_keys.get(api_key)
        if k is None:
            raise AuthError(401, "okänd API-nyckel")
        return Principal(k.anvandare, k.roll, k.kommun)
    token = None
    if authorization and authorization.lower().startswith("bearer "):
        token = authorization[7:].strip()
    elif link:
        token = link
    if not token:
        raise AuthError(401, "inloggning krävs: Authorization: Bearer <token> eller X-API-Key")
    try:
        claims = jwt.decode(
            token, settings.jwt_key, algorithms=[ALGORITHM], options={"require": ["exp", "sub", "roll"]}
        )
    except jwt.ExpiredSignatureError:
        raise AuthError(401, "token har gått ut") from None
    except jwt.PyJWTError:
        raise AuthError(401, "ogiltig token") from None
    roll = str(claims.get("roll"))
    if roll not in ROLES:
        raise AuthError(401, "token har en okänd roll")
    if link and not authorization and not claims.get("beslut"):
        raise AuthError(401, "en länk måste ha en länktoken för ett beslut")
    return Principal(str(claims["sub"]), roll, str(claims.get("kommun", "")), claims.get("beslut"))


def require(p: Principal, action: str) -> None:
    if p.beslut is not None:
        raise AuthError(403, "en länktoken gäller bara förklaringen av ett beslut")
    if p.roll not in PERMISSIONS[action]:
        raise AuthError(403, f"rollen {p.roll} får inte {action.replace('_', ' ')}")


def may_read(p: Principal, kommun: str, beslut_id: str, action: str = "lasa_beslut") -> None:
    if p.beslut is not None:
        if p.beslut != beslut_id or action != "forklaring":
            raise AuthError(403, "länktoken gäller ett annat beslut")
        return
    require(p, "omprova" if action == "omprova" else "lasa_beslut")
    if p.roll not in ALL_KOMMUNER and p.kommun != kommun:
        raise AuthError(403, "beslutet hör till en annan kommun")
