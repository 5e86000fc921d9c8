"""Configuration of the API server, from environment variables (and ``ekbist serve`` flags).

A server that handles personal data starts only with real keys: a JWT key of at least 32 bytes
(``EKBIST_JWT_KEY``) and a log key (``EKBIST_LOGG_NYCKEL`` or ``EKBIST_LOGG_NYCKELFIL``). With
``--demo`` both are made and kept in ``.ekbist/`` (owner-only), and every response says so.
Every problem is reported at once, in Swedish, naming the variable.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from api._oidc import OidcConfig
from beslutslogg import MIN_KEY_BYTES, Keyring, LogKeyError, secret_file

DATA_DIR = Path(os.environ.get("EKBIST_DATADIR", ".ekbist"))
ROLES = ("handlaggare", "revisor", "regelforvaltare")
KOMMUN = re.compile(r"^\d{4}$")
DEMO_NOTICE = "demo; nycklarna ligger i .ekbist/ och far inte anvandas for riktiga personuppgifter"


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
    log_keys: Keyring | None = None
    demo: bool = False
    public_url: str | None = None
    token_max_hours: float = 12.0
    link_minutes: float = 15.0
    ssbtek_parallel: int = 8
    ssbtek_deadline: float = 20.0
    oidc: OidcConfig | None = None
    metrics_key: str | None = None

    @classmethod
    def from_env(
        cls, database_url: str | None = None, *, demo: bool = False, env: Mapping[str, str] | None = None
    ) -> Settings:
        """The server's settings; raise ValueError listing every problem (never a secret)."""
        env = os.environ if env is None else env
        problems: list[str] = []
        key = env.get("EKBIST_JWT_KEY", "")
        if key:
            if len(key.encode("utf-8")) < MIN_KEY_BYTES:
                problems.append(
                    f"EKBIST_JWT_KEY är {len(key.encode('utf-8'))} byte; minst {MIN_KEY_BYTES} krävs "
                    "(skapa en med: ekbist revision nyckel)"
                )
        elif demo:
            key = secret_file(DATA_DIR / "jwt-nyckel")
        else:
            problems.append("EKBIST_JWT_KEY saknas (minst 32 byte); för en demo utan riktiga uppgifter: --demo")
        log_keys: Keyring | None = None
        try:
            log_keys = Keyring.from_env(env, demo_dir=DATA_DIR if demo else None)
        except LogKeyError as exc:
            problems.append(str(exc))
        else:
            if log_keys is None:
                problems.append(
                    "EKBIST_LOGG_NYCKEL (eller EKBIST_LOGG_NYCKELFIL) saknas: beslutsloggen signeras med en nyckel "
                    "som inte finns i databasen; för en demo: --demo"
                )
        api_keys: dict[str, ApiKey] = {}
        try:
            api_keys = parse_api_keys(env.get("EKBIST_API_NYCKLAR", ""))
        except ValueError as exc:
            problems.append(str(exc))
        public = env.get("EKBIST_PUBLIK_URL") or None
        if public and not re.match(r"^https?://[^/\s]+(/\S*)?$", public):
            problems.append("EKBIST_PUBLIK_URL ska vara en adress som https://ekbist.kommun.se")
        oidc = OidcConfig.from_env(env, problems)
        metrics_key = env.get("EKBIST_METRIK_NYCKEL") or None
        if metrics_key and len(metrics_key.encode("utf-8")) < MIN_KEY_BYTES:
            problems.append(f"EKBIST_METRIK_NYCKEL är kortare än {MIN_KEY_BYTES} byte")
        numbers = {}
        for name, default, low, high in (
            ("EKBIST_MAX_BODY", 1_000_000, 1_000, 50_000_000),
            ("EKBIST_TOKEN_MAX_TIMMAR", 12, 0.1, 24 * 30),
            ("EKBIST_SSBTEK_SAMTIDIGA", 8, 1, 256),
            ("EKBIST_SSBTEK_TIDSGRANS", 20, 1, 600),
        ):
            try:
                value = float(env.get(name, default))
            except ValueError:
                problems.append(f"{name} ska vara ett tal")
                continue
            if not low <= value <= high:
                problems.append(f"{name} ska ligga mellan {low:g} och {high:g}")
            numbers[name] = value
        if problems:
            raise ValueError("\n".join(problems))
        return cls(
            database_url=database_url
            or env.get("EKBIST_DATABASE_URL")
            or f"sqlite:///{(DATA_DIR / 'beslut.sqlite3').resolve()}",
            jwt_key=key,
            api_keys=api_keys,
            max_body=int(numbers["EKBIST_MAX_BODY"]),
            rule_root=Path(env["EKBIST_REGELROT"]) if env.get("EKBIST_REGELROT") else None,
            ssbtek_url=env.get("EKBIST_SSBTEK_URL"),
            log_keys=log_keys,
            demo=demo,
            public_url=public.rstrip("/") if public else None,
            token_max_hours=numbers["EKBIST_TOKEN_MAX_TIMMAR"],
            ssbtek_parallel=int(numbers["EKBIST_SSBTEK_SAMTIDIGA"]),
            ssbtek_deadline=numbers["EKBIST_SSBTEK_TIDSGRANS"],
            oidc=oidc,
            metrics_key=metrics_key,
        )


def parse_api_keys(text: str) -> dict[str, ApiKey]:
    """``nyckel=anvandare:roll:kommun,nyckel2=...``, each checked: length, role, kommunkod."""
    keys: dict[str, ApiKey] = {}
    for n, part in enumerate(filter(None, (p.strip() for p in text.split(","))), 1):
        key, _, who = part.partition("=")
        fields = who.split(":")
        if len(fields) != 3 or not key:
            raise ValueError("EKBIST_API_NYCKLAR ska vara nyckel=anvandare:roll:kommun, kommaseparerade")
        anvandare, roll, kommun = fields
        if len(key.encode("utf-8")) < MIN_KEY_BYTES:
            raise ValueError(f"EKBIST_API_NYCKLAR: nyckel nr {n} är kortare än {MIN_KEY_BYTES} byte")
        if roll not in ROLES:
            raise ValueError(f"EKBIST_API_NYCKLAR: nyckel nr {n} har okänd roll '{roll}'; roller: {', '.join(ROLES)}")
        if not KOMMUN.match(kommun):
            raise ValueError(f"EKBIST_API_NYCKLAR: nyckel nr {n} ska ha en fyrsiffrig kommunkod, inte '{kommun}'")
        if not anvandare or len(anvandare) > 200:
            raise ValueError(f"EKBIST_API_NYCKLAR: nyckel nr {n} saknar användare")
        keys[key] = ApiKey(anvandare, roll, kommun)
    return keys
