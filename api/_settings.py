"""Configuration of the API server, from environment variables (and ``ekbist serve`` flags)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

DATA_DIR = Path(os.environ.get("EKBIST_DATADIR", ".ekbist"))


@dataclass(frozen=True)
class ApiKey:
    anvandare: str
    roll: str
    kommun: str


@dataclass(frozen=True)
class Settings:
    database_url: str
    jwt_key: str
    api_keys: dict[str, ApiKey] = field(default_factory=dict)
    max_body: int = 1_000_000
    rule_root: Path | None = None
    ssbtek_url: str | None = None
    dev_key: bool = False

    @classmethod
    def from_env(cls, database_url: str | None = None) -> Settings:
        key = os.environ.get("EKBIST_JWT_KEY")
        dev = False
        if not key:
            key, dev = dev_jwt_key(), True
        return cls(
            database_url=database_url
            or os.environ.get("EKBIST_DATABASE_URL")
            or f"sqlite:///{(DATA_DIR / 'beslut.sqlite3').resolve()}",
            jwt_key=key,
            api_keys=parse_api_keys(os.environ.get("EKBIST_API_NYCKLAR", "")),
            max_body=int(os.environ.get("EKBIST_MAX_BODY", "1000000")),
            rule_root=Path(os.environ["EKBIST_REGELROT"]) if os.environ.get("EKBIST_REGELROT") else None,
            ssbtek_url=os.environ.get("EKBIST_SSBTEK_URL"),
            dev_key=dev,
        )


def dev_jwt_key() -> str:
    """A local key for demos, kept in .ekbist/ (0600); production sets EKBIST_JWT_KEY."""
    path = DATA_DIR / "jwt-nyckel"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def parse_api_keys(text: str) -> dict[str, ApiKey]:
    """``nyckel=anvandare:roll:kommun,nyckel2=...``"""
    keys: dict[str, ApiKey] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, _, who = part.partition("=")
        fields = who.split(":")
        if len(fields) != 3 or not key:
            raise ValueError("EKBIST_API_NYCKLAR ska vara nyckel=anvandare:roll:kommun, kommaseparerade")
        keys[key] = ApiKey(*fields)
    return keys
