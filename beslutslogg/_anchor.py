"""Anchors: the chain's head kept outside the database, so a shortened or wiped log is noticed.

A MAC chain shows every change to what is in it, but not that its end was cut off, or that the
whole log was replaced by an empty one: what is left is still a valid chain. An anchor (position,
head MAC, time, signed with the log key) written by ``ekbist revision ankare`` and kept elsewhere,
or the receipt every recorded decision returns, pins a point that a later log must still contain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from beslutslogg._canonical import canonical
from beslutslogg._keys import Keyring
from beslutslogg._model import Head

_MAC = re.compile(r"^[0-9a-f]{64}$")


class AnchorError(ValueError):
    """An anchor that cannot be read or whose signature does not hold; the message says why."""


@dataclass(frozen=True)
class Anchor:
    """A point the log must contain: ``mac`` at ``position`` (None: anywhere, for a bare MAC)."""

    mac: str
    position: int | None = None
    tidpunkt: str | None = None
    source: str = ""


def signed_anchor(head: Head, keyring: Keyring) -> dict[str, Any]:
    body = {
        "typ": "ekbist-ankare",
        "position": head.position,
        "mac": head.mac,
        "tidpunkt": datetime.now(UTC).isoformat(timespec="seconds"),
        "nyckel_id": keyring.current.id,
    }
    return {**body, "signatur": keyring.mac(b"ankare\0" + canonical(body).encode("utf-8"))}


def read_anchor(text: str, keyring: Keyring) -> Anchor:
    """A file's content or a bare head MAC: a signed anchor, a receipt, or 64 hex digits."""
    value = text.strip()
    if _MAC.match(value):
        return Anchor(value, source=value[:12] + "…")
    path = Path(value)
    try:
        raw = path.read_bytes() if len(value) < 4096 and path.is_file() else value.encode("utf-8")
        data = orjson.loads(raw)
    except (OSError, orjson.JSONDecodeError):
        raise AnchorError(f"{value[:60]}: varken en ankarfil, ett kvitto eller en MAC (64 hexsiffror)") from None
    if not isinstance(data, dict):
        raise AnchorError(f"{value[:60]}: ankaret ska vara ett JSON-objekt")
    if "kvitto" in data and isinstance(data["kvitto"], dict):  # a whole answer from POST /v1/beslut
        data = data["kvitto"]
    where = path.name if path.is_file() else "ankaret"
    if data.get("typ") == "ekbist-ankare":
        body = {k: data.get(k) for k in ("typ", "position", "mac", "tidpunkt", "nyckel_id")}
        kid = str(data.get("nyckel_id"))
        if not keyring.knows(kid):
            raise AnchorError(f"{where}: signerat med en nyckel som inte är angiven (id {kid})")
        if not keyring.check(b"ankare\0" + canonical(body).encode("utf-8"), str(data.get("signatur")), kid):
            raise AnchorError(f"{where}: signaturen stämmer inte; ankaret har ändrats")
        return Anchor(_mac(data.get("mac"), where), _position(data.get("position"), where), data.get("tidpunkt"), where)
    if "huvud" in data and "position" in data:  # a receipt
        return Anchor(_mac(data.get("huvud"), where), _position(data.get("position"), where), None, where)
    raise AnchorError(f"{where}: okänt format; väntade ett ankare (ekbist revision ankare) eller ett kvitto")


def _mac(value: Any, where: str) -> str:
    if not isinstance(value, str) or not _MAC.match(value):
        raise AnchorError(f"{where}: MAC ska vara 64 hexsiffror")
    return value


def _position(value: Any, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise AnchorError(f"{where}: position ska vara ett positivt heltal")
    return value
