"""The log key: what makes a rewrite of the decision log detectable by someone who can write to it.

Every link of the chain carries an HMAC-SHA-256 made with a secret key that is never stored in the
database. Someone with write access to the database can change rows and recompute plain hashes,
but cannot make the MACs verify without the key. The key is given in ``EKBIST_LOGG_NYCKEL`` or in
the file named by ``EKBIST_LOGG_NYCKELFIL`` (readable by the owner only). Several keys may be
given (comma-separated, or one per line): the first signs new links, the others still verify the
links they signed, so the key can be rotated without rewriting anything (``docs/beslutslogg.rst``).

A link names its key by an id derived from the key (``k`` + 16 hex digits); the id reveals nothing
of the key.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

MIN_KEY_BYTES = 32


class LogKeyError(ValueError):
    """A key that cannot be used; the message says which and why (never the key itself)."""


@dataclass(frozen=True)
class LogKey:
    id: str
    secret: bytes = b""

    def __repr__(self) -> str:  # never the secret, not even in a traceback
        return f"LogKey({self.id})"


def key_id(secret: bytes) -> str:
    return "k" + hashlib.sha256(b"ekbist-beslutslogg-nyckel\0" + secret).hexdigest()[:16]


def _key(text: str, where: str) -> LogKey:
    secret = text.strip().encode("utf-8")
    if len(secret) < MIN_KEY_BYTES:
        raise LogKeyError(
            f"{where}: en nyckel är {len(secret)} byte; minst {MIN_KEY_BYTES} krävs "
            "(skapa en med: ekbist revision nyckel)"
        )
    return LogKey(key_id(secret), secret)


class Keyring:
    """The current key (signs new links) and older ones (verify the links they signed)."""

    def __init__(self, keys: Iterable[LogKey]) -> None:
        ordered = list(keys)
        if not ordered:
            raise LogKeyError("ingen nyckel för beslutsloggen")
        self.current = ordered[0]
        self._by_id = {k.id: k for k in ordered}

    def __repr__(self) -> str:
        return f"Keyring(current={self.current.id}, keys={sorted(self._by_id)})"

    @property
    def ids(self) -> list[str]:
        return list(self._by_id)

    def knows(self, kid: str) -> bool:
        return kid in self._by_id

    def mac(self, message: bytes, kid: str | None = None) -> str:
        key = self._by_id[kid] if kid is not None else self.current
        return hmac.new(key.secret, message, hashlib.sha256).hexdigest()

    def check(self, message: bytes, mac: str, kid: str) -> bool:
        return kid in self._by_id and hmac.compare_digest(self.mac(message, kid), mac)

    @classmethod
    def from_texts(cls, texts: Iterable[str], where: str) -> Keyring:
        return cls(_key(t, where) for t in texts if t.strip() and not t.strip().startswith("#"))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, demo_dir: Path | None = None) -> Keyring | None:
        """``EKBIST_LOGG_NYCKEL`` (comma-separated) or ``EKBIST_LOGG_NYCKELFIL``; with ``demo_dir``
        and neither set, a demo key kept in ``demo_dir/logg-nyckel`` (created 0600). None otherwise."""
        env = os.environ if env is None else env
        if env.get("EKBIST_LOGG_NYCKEL"):
            return cls.from_texts(env["EKBIST_LOGG_NYCKEL"].split(","), "EKBIST_LOGG_NYCKEL")
        if env.get("EKBIST_LOGG_NYCKELFIL"):
            path = Path(env["EKBIST_LOGG_NYCKELFIL"])
            try:
                lines = path.read_text(encoding="utf-8").splitlines()
            except OSError as exc:
                raise LogKeyError(f"EKBIST_LOGG_NYCKELFIL: {path} kan inte läsas ({exc.strerror})") from None
            return cls.from_texts(lines, f"EKBIST_LOGG_NYCKELFIL ({path})")
        if demo_dir is not None:
            return cls.from_texts([secret_file(demo_dir / "logg-nyckel")], "demonyckeln")
        return None


def new_secret() -> str:
    """A fresh random key: 48 bytes of randomness as URL-safe text (64 characters)."""
    return secrets.token_urlsafe(48)


def secret_file(path: Path) -> str:
    """The secret kept in ``path``, created owner-only (0600, directory 0700) when missing."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            pass
        else:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(new_secret() + "\n")
    return path.read_text(encoding="utf-8").strip()
