"""The one error for "who are you?" (401) and "you may not" (403), from every way of logging in.

Its own module so that the issuer's checks (:mod:`api._oidc`) and ekbist's own (:mod:`api._auth`)
raise the same error, and the API answers both the same way (:mod:`api._errors`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import jwt


class AuthError(Exception):
    """A refused login or action: ``status`` 401 or 403 (503 when the kommun's issuer cannot be
    reached), ``message`` in Swedish, never echoing a token."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


LEEWAY_S = 60  # clocks of issuer and server may differ this much


def token_refused(exc: jwt.PyJWTError) -> AuthError:
    """PyJWT's verdict on a token, in Swedish (the same words whichever issuer signed it)."""
    messages: list[tuple[type[jwt.PyJWTError], str]] = [
        (jwt.ExpiredSignatureError, "token har gått ut"),
        (jwt.ImmatureSignatureError, "token är utfärdad i framtiden"),
        (jwt.InvalidIssuerError, "token är utfärdad av en annan utfärdare än kommunens"),
        (jwt.InvalidAudienceError, "token är inte utfärdad för ekbist (fel mottagare, aud)"),
    ]
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return AuthError(401, f"token saknar uppgiften {exc.claim}")
    return AuthError(401, next((m for kind, m in messages if isinstance(exc, kind)), "ogiltig token"))


def check_lifetime(claims: Mapping[str, Any], max_hours: float) -> None:
    """Issued now or earlier, and living no longer than the server allows: a ten-year token is refused
    even when its signature is good."""
    iat, exp = claims.get("iat"), claims.get("exp")
    if not isinstance(iat, int | float) or not isinstance(exp, int | float):
        raise AuthError(401, "ogiltig token")
    if iat > time.time() + LEEWAY_S:
        raise AuthError(401, "token är utfärdad i framtiden")
    if exp - iat > max_hours * 3600 + LEEWAY_S:
        raise AuthError(401, f"token gäller längre än tillåtet ({max_hours:g} timmar)")
