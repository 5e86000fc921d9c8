"""Golden cases: an application and the amounts expected for it, computed by hand.

A case file holds ``ansokan`` and either ``forvantat`` (the contract's output fields that must
match exactly; ``avvikelser`` compares deviation codes per person; ``regler`` compares single
rule values from the trace, ``regel@person`` for person rules, ``null`` for a rule not in force;
``meddelanden`` a text some deviation of the code must contain) or ``forvantat_fel`` (the
application must be refused, naming the given field). ``ssbtek`` gives, per person, what each
agency reports; it is written as a real SSBTEK answer and read back. Used by ``ekbist testa``.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ekbist._documents import Document, read_document
from engine import InputError, RuleBundle, jamforelsetal


@dataclass
class CaseOutcome:
    path: str
    name: str
    ok: bool
    differences: list[tuple[str, Any, Any]] = field(default_factory=list)  # field, expected, computed
    error: str | None = None


Compute = Callable[[Document], dict[str, Any]]


def case_files(paths: Iterable[str | Path]) -> list[Path]:
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files.extend(sorted(x for x in p.rglob("*") if x.suffix in (".yaml", ".yml", ".json")))
        else:
            files.append(p)
    return files


def default_compute(bundle: RuleBundle) -> Compute:
    def compute(doc: Document) -> dict[str, Any]:
        overrides = {}
        if "jamforelsetal" in doc.case:
            overrides["jamforelsetal"] = jamforelsetal(doc.case["jamforelsetal"])
        agency = _agency(doc) if "ssbtek" in doc.case else None
        result: dict[str, Any] = bundle.calculate(doc.ansokan, agency=agency, overrides=overrides).to_dict()
        return result

    return compute


def _agency(doc: Document) -> dict[str, Any]:
    """A case's ``ssbtek``: per person of the household, what each source reports (the fake's format).

    Each description is written as a real SSBTEK v10 answer and read back by the real reader, so a
    case tests the whole way from the agency's XML to the deviation.
    """
    from engine import Month, Problem
    from ssbtek import build_response, parse_response

    spec = doc.case["ssbtek"]
    app = doc.ansokan if isinstance(doc.ansokan, dict) else {}
    numbers = {
        str(p.get("id")): str(p.get("personnummer") or "") for p in app.get("hushall") or [] if isinstance(p, dict)
    }
    if not isinstance(spec, dict):
        raise InputError([Problem("ssbtek", "ska vara en tabell: person → källornas uppgifter")])
    try:
        month = Month.parse(str(app.get("period")))
    except ValueError:
        raise InputError([Problem("ansokan.period", "saknas eller är ingen månad")]) from None
    out = {}
    for person, description in spec.items():
        pnr = numbers.get(str(person)) or ""
        if not isinstance(description, dict) or not pnr:
            raise InputError([Problem(f"ssbtek.{person}", "personen finns inte i hushållet med personnummer")])
        xml = build_response({"personnummer": pnr, **description}, month)
        out[str(person)] = parse_response(xml, str(person), pnr)
    return out


def run_case(path: Path, compute: Compute) -> CaseOutcome:
    try:
        doc = read_document(str(path))
    except InputError as exc:
        return CaseOutcome(str(path), path.name, False, error=f"fallet kan inte läsas: {exc}")
    name = str(doc.case.get("namn", path.name))
    expected_error = doc.case.get("forvantat_fel")
    expected: dict[str, Any] | None = doc.case.get("forvantat")
    if expected is None and expected_error is None:
        return CaseOutcome(str(path), name, False, error="fallet saknar forvantat eller forvantat_fel")
    try:
        got = compute(doc)
    except InputError as exc:
        if expected_error is None:
            return CaseOutcome(str(path), name, False, error=f"ansökan vägrades: {exc}")
        want = str(expected_error.get("falt", "")) if isinstance(expected_error, dict) else str(expected_error)
        fields = [p.field for p in exc.problems]
        if any(f == want or f.startswith(want + ".") or f.startswith(want + "[") for f in fields):
            return CaseOutcome(str(path), name, True)
        return CaseOutcome(str(path), name, False, differences=[("forvantat_fel.falt", want, ", ".join(fields))])
    if expected_error is not None or expected is None:
        return CaseOutcome(
            str(path), name, False, differences=[("forvantat_fel", expected_error, "beräknades utan fel")]
        )
    diffs: list[tuple[str, Any, Any]] = []
    for key, want in expected.items():
        have = got.get(key)
        if key == "regler":
            values = {
                (e["regel"] if e.get("person") is None else f"{e['regel']}@{e['person']}"): e["varde"]
                for e in got.get("trace", [])
            }
            for rule, wanted in (want or {}).items():
                if values.get(rule) != wanted:
                    diffs.append((f"regler.{rule}", wanted, values.get(rule, "saknas (gäller inte)")))
            continue
        if key == "meddelanden":  # {kod: text}: some deviation with the code says this (and nothing else says it)
            for code, text in (want or {}).items():
                said = [str(d.get("meddelande", "")) for d in got.get("avvikelser", []) if d.get("kod") == code]
                if not any(str(text) in m for m in said):
                    diffs.append((f"meddelanden.{code}", text, said or "ingen avvikelse med koden"))
            continue
        if key == "avvikelser":
            want_set, have_set = _deviations(want), _deviations(have or [])
            if want_set != have_set:
                diffs.append((key, want_set, have_set))
        elif have != want:
            diffs.append((key, want, have))
    return CaseOutcome(str(path), name, not diffs, differences=diffs)


def _deviations(items: list[Any]) -> list[tuple[str, str | None]]:
    """Deviations as sorted (code, person) pairs; a plain string in a case is a code for nobody in particular."""
    out = []
    for d in items:
        if isinstance(d, str):
            out.append((d, None))
        else:
            out.append((str(d["kod"]), d.get("person")))
    return sorted(out, key=lambda t: (t[0], t[1] or ""))


def update_case(path: Path, differences: list[tuple[str, Any, Any]]) -> None:
    """Write computed values over the expected ones in a case file, keeping its layout and comments.

    YAML is edited round-trip (ruamel.yaml), so flow mappings, quoting and comments stay as the
    policy editor wrote them; JSON is rewritten with the same keys in the same order.
    """
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        data = json.loads(text)
        _apply(data, differences)
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        return
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap the editor's lines
    yaml.indent(mapping=2, sequence=4, offset=2)  # the layout of the case files
    data = yaml.load(text)
    _apply(data, differences, CommentedMap, CommentedSeq)
    buf = io.StringIO()
    yaml.dump(data, buf)
    path.write_text(buf.getvalue(), encoding="utf-8")


def _apply(data: Any, differences: list[tuple[str, Any, Any]], mapping: Any = dict, seq: Any = list) -> None:
    expected = data["forvantat"]
    for key, _, have in differences:
        if key.startswith("regler."):
            expected["regler"][key[len("regler.") :]] = have
        elif key == "avvikelser":
            items = seq()
            for code, person in have:
                item = mapping()
                item["kod"] = code
                if person is not None:
                    item["person"] = person
                if hasattr(item, "fa"):
                    item.fa.set_flow_style()
                items.append(item)
            expected["avvikelser"] = items
        else:
            expected[key] = have
