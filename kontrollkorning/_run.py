"""The monthly control run: every active case, fresh agency answers, the control rules, one report.

An active case for month M is a household's newest decision for the month before (M − 1), as the
decision log holds it. For each case the application as decided is computed again with the rules
in force and with agency answers fetched now for every adult (through the configured source: the
SSBTEK SOAP client, or the fake server in tests); the control rules flag what the registers show
against what was declared for that month. An adult without a personnummer cannot be asked, and an
agency that errors or does not answer in time gives ``UPPGIFT_SAKNAS`` for that person: the run goes
on. Each finished case is appended to ``<rapport>.delar/arenden.jsonl`` as it finishes, so a run
that stops is resumed with ``--fortsatt`` without asking the agencies again about finished cases.
"""

from __future__ import annotations

import math
import os
import random
import secrets
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

import orjson

import engine
from engine import Month, PersonAgencyData

SEVERITY = {"utred": 3, "kontrollera": 2, "info": 1}  # engine.kontroll._model: allvarlighet
DEFAULT_SHARE = Decimal("0.05")  # convention: a twentieth of the cases in the random sample (--andel)
PRIORITISED = 50  # cases listed first for investigation
STATE = "korning.json"
DONE = "arenden.jsonl"


class RunError(Exception):
    """The run cannot start or go on (a resume that does not match, no cases)."""


class Source(Protocol):
    def fetch(
        self, person: str, personnummer: str | None, period: Month, start: Month | None = None
    ) -> PersonAgencyData: ...


@dataclass
class Plan:
    """What a run is: its month, its cases and its sample, fixed before any agency is asked."""

    run_id: str
    month: Month
    kommun: str | None
    case_ids: list[str]
    share: Decimal
    seed: int
    bundle_version: str
    bundle_hash: str
    started: str

    def sample(self) -> list[str]:
        """The random sample: ``random.Random(seed)`` draws ⌈share × cases⌉ of the sorted case ids."""
        k = min(len(self.case_ids), math.ceil(self.share * len(self.case_ids))) if self.share > 0 else 0
        return sorted(random.Random(self.seed).sample(sorted(self.case_ids), k))

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.run_id,
            "manad": str(self.month),
            "arendemanad": str(self.month - 1),
            "kommun": self.kommun,
            "arenden": self.case_ids,
            "andel": str(self.share),
            "seed": self.seed,
            "regelverk_version": self.bundle_version,
            "regelverk_hash": self.bundle_hash,
            "startad": self.started,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Plan:
        return cls(
            run_id=str(data["id"]),
            month=Month.parse(str(data["manad"])),
            kommun=data.get("kommun"),
            case_ids=[str(x) for x in data["arenden"]],
            share=Decimal(str(data["andel"])),
            seed=int(data["seed"]),
            bundle_version=str(data["regelverk_version"]),
            bundle_hash=str(data["regelverk_hash"]),
            started=str(data["startad"]),
        )


def new_plan(
    bundle: engine.RuleBundle,
    month: Month,
    kommun: str | None,
    case_ids: Sequence[str],
    share: Decimal = DEFAULT_SHARE,
    seed: int | None = None,
) -> Plan:
    return Plan(
        run_id=str(uuid.uuid4()),
        month=month,
        kommun=kommun,
        case_ids=list(case_ids),
        share=share,
        seed=secrets.randbelow(2**31) if seed is None else seed,
        bundle_version=bundle.version,
        bundle_hash=bundle.hash,
        started=datetime.now(UTC).isoformat(timespec="seconds"),
    )


def open_workdir(folder: Path, plan: Plan, resume: bool) -> tuple[Plan, dict[str, dict[str, Any]]]:
    """The run's folder: a new one, or (``resume``) the interrupted run's plan and finished cases."""
    state = folder / STATE
    if folder.exists():
        if not resume:
            raise RunError(
                f"en avbruten kontrollkörning finns i {folder}; fortsätt med --fortsatt eller ta bort katalogen"
            )
        try:
            saved = Plan.from_dict(orjson.loads(state.read_bytes()))
        except (OSError, orjson.JSONDecodeError, KeyError, ValueError):
            raise RunError(f"{state} kan inte läsas; ta bort {folder} och börja om") from None
        if saved.month != plan.month or saved.kommun != plan.kommun:
            raise RunError(f"--fortsatt: körningen i {folder} gäller {saved.month} (kommun {saved.kommun or 'alla'})")
        if saved.bundle_hash != plan.bundle_hash:
            raise RunError(f"--fortsatt: körningen i {folder} gjordes med regelverket {saved.bundle_version}")
        return saved, finished_cases(folder / DONE)
    folder.mkdir(mode=0o700)  # agency findings are personal data: readable by the owner only
    tmp = state.with_name(STATE + ".tmp")
    tmp.write_bytes(orjson.dumps(plan.to_dict()))
    os.replace(tmp, state)
    return plan, {}


def finished_cases(path: Path) -> dict[str, dict[str, Any]]:
    """The cases a run has finished, by decision id (a line cut off by a stop is left out: done again)."""
    done: dict[str, dict[str, Any]] = {}
    if not path.exists():
        return done
    for line in path.read_bytes().splitlines():
        try:
            case = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue  # a line cut off by the stop: that case is done again
        done[str(case["beslut_id"])] = case
    return done


def check_case(bundle: engine.RuleBundle, case: Mapping[str, Any], source: Source) -> dict[str, Any]:
    """One case: its application as decided, fresh agency answers for every adult, the controls."""
    indata = case["indata"]
    app = indata.get("ansokan")
    out: dict[str, Any] = {
        "beslut_id": case["id"],
        "kommun": case["kommun"],
        "period": case["period"],
        "forsorjningsstod": case.get("forsorjningsstod"),
        "beslutat_belopp": (case.get("beslut") or {}).get("belopp"),
        "avvikelser": [],
    }
    try:
        _, facts = engine.parse_application(app)
    except engine.InputError as exc:
        out["fel"] = f"ansökan i beslutet kan inte läsas: {exc.problems[0]}"
        return out
    agency: dict[str, PersonAgencyData] = {}
    asked = 0
    for p in facts.persons:
        if p.roll == "barn":
            continue
        if p.personnummer:
            agency[p.id] = source.fetch(p.id, p.personnummer, facts.period, bundle.ssbtek_start(facts.period))
            asked += 1
        else:  # nobody to ask about: every source is missing for this person
            agency[p.id] = PersonAgencyData(p.id, {})
    out["fragade_personer"] = asked
    overrides = {}
    if indata.get("jamforelsetal") is not None:
        overrides["jamforelsetal"] = engine.jamforelsetal(indata["jamforelsetal"])
    try:
        result = bundle.calculate(app, overrides=overrides, agency=agency)
    except engine.InputError as exc:
        out["fel"] = f"kan inte beräknas med regelverket i kraft: {exc.problems[0]}"
        return out
    out["avvikelser"] = [
        {k: d.get(k) for k in ("kod", "allvarlighet", "person", "kalla", "meddelande", "lagrum", "regel")}
        for d in result.avvikelser
    ]
    return out


def run_cases(
    bundle: engine.RuleBundle,
    cases: Iterator[Mapping[str, Any]],
    source: Source,
    done_file: Path,
    *,
    threads: int = 8,
    report: Callable[[int], None] | None = None,
) -> None:
    """Check ``cases`` (those not yet finished), a few at a time; append each as it finishes."""
    with done_file.open("ab") as out, ThreadPoolExecutor(max(1, threads)) as pool:
        running: set[Future[dict[str, Any]]] = set()

        def drain(how: str) -> None:
            finished, _ = wait(running, return_when=how)
            for fut in finished:
                running.discard(fut)
                out.write(orjson.dumps(fut.result()) + b"\n")
                out.flush()
                os.fsync(out.fileno())
                if report:
                    report(1)

        for case in cases:
            while len(running) >= 2 * threads:
                drain(FIRST_COMPLETED)
            running.add(pool.submit(check_case, bundle, case, source))
        while running:
            drain(FIRST_COMPLETED)
