"""Collecting agency data for an application from the sources the user named."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from engine import InputError, Month, PersonAgencyData, Problem, parse_application
from ssbtek.source import AgencySource, FileSource, SoapConfig, SoapSource


def files_from_args(pairs: Sequence[str]) -> dict[str, Path]:
    """``PERSON_ID=SVAR.xml`` pairs, checked: the files must exist, one per person, never the same twice."""
    files: dict[str, Path] = {}
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for pair in pairs:
        person, sep, name = pair.partition("=")
        if not sep or not person or not name:
            problems.append(Problem("--ssbtek", f"'{pair}' ska skrivas PERSON_ID=SVAR.xml"))
            continue
        path = Path(name)
        if not path.is_file():
            problems.append(Problem("--ssbtek", f"filen {name} finns inte"))
            continue
        if person in files:
            problems.append(Problem("--ssbtek", f"'{person}' har redan ett svar ({files[person]})"))
            continue
        digest = _digest(path)
        if digest in seen:
            problems.append(
                Problem("--ssbtek", f"samma SSBTEK-svar ({name}) är angivet för både {seen[digest]} och {person}")
            )
            continue
        seen[digest] = person
        files[person] = path
    if problems:
        raise InputError(problems)
    return files


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            h.update(block)
    return h.hexdigest()


def collect(
    application: Any, source: AgencySource, persons: Sequence[str] | None = None, bundle: Any = None
) -> dict[str, PersonAgencyData]:
    """Ask ``source`` about each adult of the application (or the named persons), from the first month
    the rules of ``bundle`` compare with."""
    app, facts = parse_application(application)
    by_id = {p.id: p for p in app.hushall}
    wanted = list(persons) if persons is not None else [p.id for p in app.hushall if p.roll != "barn"]
    unknown = [p for p in wanted if p not in by_id]
    if unknown:
        raise InputError([Problem("--ssbtek", f"'{u}' finns inte i hushall") for u in unknown])
    month: Month = facts.period
    start = bundle.ssbtek_start(month) if bundle is not None else None
    return {pid: source.fetch(pid, by_id[pid].personnummer, month, start) for pid in wanted}


def from_files(application: Any, pairs: Sequence[str]) -> dict[str, PersonAgencyData]:
    files = files_from_args(pairs)
    return collect(application, FileSource(files), list(files))


def from_soap(application: Any, url: str | None, bundle: Any = None) -> dict[str, PersonAgencyData]:
    try:
        config = SoapConfig.from_env(url)
    except ValueError as exc:
        raise InputError([Problem("--hamta", str(exc))]) from None
    source = SoapSource(config)
    try:
        return collect(application, source, bundle=bundle)
    finally:
        source.close()
