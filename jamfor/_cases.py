"""The cases a change is measured on: golden cases, a generated population, stored decisions, files.

Each case is an id and the input as the decision log keeps it (``ansokan``, and where there are any,
the SSBTEK answers as received and a preview jämförelsetal), so both sides compute exactly what a
caseworker's request or a recorded decision would.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import engine
from ekbist._documents import read_document
from engine._limits import MAX_FIL


@dataclass(frozen=True)
class Case:
    id: str
    source: str  # guldfall, population, beslut, fil
    indata: dict[str, Any]


def golden(paths: Iterable[Path]) -> Iterator[Case]:
    from ekbist.golden import case_files

    for path in case_files(paths):
        try:
            doc = read_document(str(path))
        except engine.InputError:
            continue  # an unreadable case is the golden runner's business, not the comparison's
        indata: dict[str, Any] = {"ansokan": doc.ansokan}
        if "jamforelsetal" in doc.case:
            indata["jamforelsetal"] = doc.case["jamforelsetal"]
        yield Case(f"guldfall:{path.name}", "guldfall", indata)


def population(n: int, seed: int, periods: Sequence[str] | None) -> Iterator[Case]:
    from population import generate

    for i, app in enumerate(generate(n, seed, periods)):
        yield Case(f"population:{seed}:{i}", "population", {"ansokan": app})


def decisions(log: Any) -> Iterator[Case]:
    for record in log.records():
        indata = {
            k: v for k, v in record.indata.items() if k in ("ansokan", "ssbtek", "ssbtek_ej_svar", "jamforelsetal")
        }
        yield Case(f"beslut:{record.id}", "beslut", indata)


def files(paths: Iterable[Path]) -> Iterator[Case]:
    """``.jsonl`` (one application, or ``{"id", "ansokan"}``, per line) or case files in a directory."""
    for path in paths:
        if path.is_dir() or path.suffix in (".yaml", ".yml", ".json"):
            for case in golden([path]):
                yield Case(case.id.replace("guldfall:", "fil:", 1), "fil", case.indata)
            continue
        yield from _jsonl(path)


def _jsonl(path: Path) -> Iterator[Case]:
    try:
        f = path.open("rb")
    except OSError as exc:
        raise engine.InputError([engine.Problem("--fall", f"{path} kan inte läsas: {exc.strerror}")]) from None
    with f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            if len(line) > MAX_FIL:
                raise engine.InputError([engine.Problem(f"{path}:{n}", f"raden är större än {MAX_FIL} byte")])
            data = engine.parse_json(line, f"{path}:{n}")
            if isinstance(data, dict) and "ansokan" in data:
                ident = str(data.get("id") or f"{path.name}:{n}")
                yield Case(f"fil:{ident}", "fil", {"ansokan": data["ansokan"]})
            else:
                yield Case(f"fil:{path.name}:{n}", "fil", {"ansokan": data})
