"""Logs for operations: JSON lines with the request id, user and kommun, and never personal data.

The guard opens a :class:`RequestInfo` for each request (its id from a sane ``X-Request-ID`` or a
new one) and the login fills in who; :class:`RequestFilter` puts both on every log record written
while the request runs, from any module. :class:`Redact` is the last line of defence: whatever a
message says, a personnummer or samordningsnummer in it (any of its written forms) and anything
shaped like a token become placeholders before the line is written. Messages are written by our
own code without personal data in the first place; tests read the log of a whole working day.
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

_CURRENT: ContextVar[RequestInfo | None] = ContextVar("ekbist_begaran", default=None)
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
# 19/20 + YYMMDD (day may be +60), optional - or +, four digits; not inside a longer number
_PERSONNUMMER = re.compile(r"(?<![\d])(?:(?:19|20)\d{2}|\d{2})[01]\d[0-9]\d[-+]?\d{4}(?![\d])")
_TOKEN = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")


@dataclass
class RequestInfo:
    """What the log may say about the request being served: no path parameters, no body."""

    id: str
    anvandare: str | None = None
    roll: str | None = None
    kommun: str | None = None


def begin(given: str | None) -> tuple[RequestInfo, Any]:
    """A new request's info (the caller's id if it is a sane one), made current; returns a reset token."""
    info = RequestInfo(given if given and _SANE_ID.match(given) else uuid.uuid4().hex)
    return info, _CURRENT.set(info)


def end(reset: Any) -> None:
    _CURRENT.reset(reset)


def current() -> RequestInfo | None:
    return _CURRENT.get()


def note_user(anvandare: str, roll: str, kommun: str) -> None:
    """Who is asking (set by the login); the object is shared, so the guard's last line sees it too."""
    info = _CURRENT.get()
    if info is not None:
        info.anvandare, info.roll, info.kommun = redact(anvandare), roll, kommun


def redact(text: str) -> str:
    return _TOKEN.sub("[token]", _PERSONNUMMER.sub("[personnummer]", text))


class RequestFilter(logging.Filter):
    """Adds ``begaran_id``, ``anvandare``, ``roll`` and ``kommun`` to every record during a request."""

    def filter(self, record: logging.LogRecord) -> bool:
        info = _CURRENT.get()
        if info is not None:
            record.begaran_id = info.id
            for name in ("anvandare", "roll", "kommun"):
                value = getattr(info, name)
                if value is not None and not hasattr(record, name):
                    setattr(record, name, value)
        return True


class Redact(logging.Filter):
    """Rewrites the message (with its arguments) and any exception text without personal data or tokens."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed call: keep the format string only
            message = str(record.msg)
        record.msg, record.args = redact(message), None
        record.__dict__.pop("color_message", None)  # uvicorn's copy of the message with terminal colours
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def config(fmt: str = "json") -> dict[str, Any]:
    """``logging.config.dictConfig`` for the server: one JSON object per line on stderr (``text``: the
    same fields as a readable line). SQL is never logged at INFO: its parameters are personal data."""
    formatter: dict[str, Any]
    if fmt == "json":
        formatter = {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s",
            "rename_fields": {"asctime": "tid", "levelname": "niva", "name": "logg", "message": "meddelande"},
            "datefmt": "%Y-%m-%dT%H:%M:%S%z",
            "json_ensure_ascii": False,
        }
    else:
        formatter = {"format": "%(asctime)s %(process)d %(name)s %(levelname)s %(message)s"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"begaran": {"()": "api._logging.RequestFilter"}, "maskera": {"()": "api._logging.Redact"}},
        "formatters": {"rad": formatter},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "rad",
                "stream": "ext://sys.stderr",
                "filters": ["begaran", "maskera"],
            }
        },
        "root": {"handlers": ["stderr"], "level": "WARNING"},
        "loggers": {
            "ekbist": {"level": "INFO"},
            "uvicorn.error": {"level": "INFO"},
        },
    }
