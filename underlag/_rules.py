"""The rule file ``regelverk/underlag/underlag.yaml``: verifications to hand in, checked when loaded."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import Field, StrictStr, ValidationError

from engine import RuleFileError, RuleProblem, _template
from engine._expression import FormulaError
from engine._input import field_path
from engine._rulefiles import Date, Hanvisning, _Strict
from engine._yamlsrc import YamlSyntaxError, load_yaml
from engine.kontroll._condition import AttrType, Cond, parse_condition

RULE_FILE = "regelverk/underlag/underlag.yaml"
Text = Annotated[StrictStr, Field(min_length=1)]
Kind = Literal["inkomst", "kostnad", "person", "hushall"]

ATTRIBUTES: dict[str, dict[str, AttrType]] = {
    "inkomst": {
        "person": "text",
        "roll": "text",
        "typ": "text",
        "typnamn": "text",
        "belopp": "tal",
        "bevisad": "villkor",
        "kallnamn": "text",
    },
    "kostnad": {"typ": "text", "typnamn": "text", "belopp": "tal"},
    "person": {
        "person": "text",
        "roll": "text",
        "alder": "tal",
        "sjukdom_dagar": "tal",
        "lakarintyg_inlamnat": "villkor",
        "aktivitetskrav": "villkor",
    },
    "hushall": {"vuxna": "tal", "personer": "tal"},
}


class Item(_Strict):
    kod: Annotated[StrictStr, Field(pattern=r"^[A-Z][A-Z0-9_]*$")]
    namn: Text
    fakta: Kind
    villkor: Text
    text: Text
    skal: Text
    behovs_inte_nar: Text | None = None
    behovs_inte_skal: Text | None = None
    giltig_fran: Date
    giltig_till: Date | None = None
    lagrum: list[Hanvisning] = Field(default_factory=list)
    konvention: Text | None = None


class UnderlagFile(_Strict):
    beskrivning: Text
    underlag: Annotated[list[Item], Field(min_length=1)]


@dataclass
class CompiledItem:
    spec: Item
    condition: Cond
    not_needed: Cond | None
    text: _template.Renderer
    reason: _template.Renderer
    not_needed_reason: _template.Renderer | None

    def covers(self, day: date) -> bool:
        return self.spec.giltig_fran <= day and (self.spec.giltig_till is None or day <= self.spec.giltig_till)


@dataclass
class UnderlagRules:
    items: list[CompiledItem]


def _problems(exc: ValidationError, doc: Any) -> list[RuleProblem]:
    out = []
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        msg = "okänd nyckel" if err["type"] == "extra_forbidden" else str(err["msg"]).removeprefix("Value error, ")
        out.append(RuleProblem(RULE_FILE, doc.line_of(loc), field_path(loc), msg))
    return out


def load_rules(files: Mapping[str, str]) -> UnderlagRules:
    """The verification rules of a bundle's files; raise RuleFileError with file, line and key."""
    text = files.get(RULE_FILE)
    if text is None:
        raise RuleFileError([RuleProblem(RULE_FILE, None, "", "filen saknas; underlag kan inte tas fram")])
    try:
        doc = load_yaml(text, RULE_FILE)
    except YamlSyntaxError as exc:
        raise RuleFileError([RuleProblem(RULE_FILE, exc.line, "", exc.message)]) from None
    try:
        spec = UnderlagFile.model_validate(doc.data)
    except ValidationError as exc:
        raise RuleFileError(_problems(exc, doc)) from None
    problems: list[RuleProblem] = []
    items: list[CompiledItem] = []
    for i, item in enumerate(spec.underlag):
        attrs = ATTRIBUTES[item.fakta]

        def where(key: str, i: int = i) -> tuple[int | None, str]:
            path: tuple[str | int, ...] = ("underlag", i, key)
            return doc.line_of(path), field_path(path)

        if not item.lagrum and not item.konvention:
            problems.append(RuleProblem(RULE_FILE, *where("lagrum"), "ange lagrum eller konvention"))
        try:
            cond = parse_condition(item.villkor, attrs, {})
            not_needed = parse_condition(item.behovs_inte_nar, attrs, {}) if item.behovs_inte_nar else None
        except FormulaError as exc:
            problems.append(RuleProblem(RULE_FILE, *where("villkor"), exc.message))
            continue
        renderers: list[_template.Renderer | None] = []
        for key, template in (("text", item.text), ("skal", item.skal), ("behovs_inte_skal", item.behovs_inte_skal)):
            if template is None:
                renderers.append(None)
                continue
            try:
                parts = _template.parse(template)
            except _template.TemplateError as exc:
                problems.append(RuleProblem(RULE_FILE, *where(key), str(exc)))
                renderers.append(None)
                continue
            for k in _template.keys(parts):
                if k not in attrs:
                    problems.append(RuleProblem(RULE_FILE, *where(key), f"{{{k}}} finns inte i faktat '{item.fakta}'"))
            renderers.append(_template.compile_parts(parts))
        text_r, reason_r, not_needed_r = renderers
        if text_r is None or reason_r is None:
            continue
        items.append(CompiledItem(item, cond, not_needed, text_r, reason_r, not_needed_r))
    if problems:
        raise RuleFileError(problems)
    return UnderlagRules(items)


def check(files: Mapping[str, str], statutes: Mapping[str, object]) -> list[RuleProblem]:
    """Every problem in the verification rules (``ekbist validera``), incl. statutes the manifest lacks."""
    if RULE_FILE not in files:
        return []
    try:
        rules = load_rules(files)
    except RuleFileError as exc:
        return exc.problems
    return [
        RuleProblem(RULE_FILE, None, "lagrum", f"författningen {r.sfs} saknas under forfattningar i manifestet")
        for item in rules.items
        for r in item.spec.lagrum
        if r.sfs not in statutes
    ]
