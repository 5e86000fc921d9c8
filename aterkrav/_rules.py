"""The rule file ``regelverk/aterkrav/aterkrav.yaml``: grounds, time limit, crime report duty."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Annotated

from pydantic import Field, StrictBool, StrictStr, ValidationError

from engine import RuleFileError, RuleProblem
from engine._input import field_path
from engine._rulefiles import Dated, Hanvisning, _Strict
from engine._yamlsrc import YamlSyntaxError, load_yaml

RULE_FILE = "regelverk/aterkrav/aterkrav.yaml"
Text = Annotated[StrictStr, Field(min_length=1)]


class Grund(Dated):
    id: Annotated[StrictStr, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    namn: Text
    lagrum: Hanvisning
    lagtext: Text
    tillampas_nar: Text
    trolig_vid_avvikelse: StrictBool = False


class Talan(Dated):
    ar: Annotated[int, Field(ge=1, le=30)]
    lagrum: Hanvisning
    lagtext: Text
    konvention: Text


class Brottsmisstanke(Dated):
    koder: list[Annotated[StrictStr, Field(pattern=r"^[A-Z][A-Z0-9_]*$")]]
    lagrum: Hanvisning
    lagtext: Text
    paminnelse: Text


class AterkravRules(_Strict):
    beskrivning: Text
    grunder: Annotated[list[Grund], Field(min_length=1)]
    talan: Talan
    brottsmisstanke: Brottsmisstanke

    def grounds_on(self, day: date) -> list[Grund]:
        return [g for g in self.grunder if g.covers(day)]


def load_rules(files: Mapping[str, str]) -> AterkravRules:
    """The återkrav rules of a bundle's files; raise RuleFileError with file, line and key."""
    text = files.get(RULE_FILE)
    if text is None:
        raise RuleFileError([RuleProblem(RULE_FILE, None, "", "filen saknas; återkrav kan inte beräknas")])
    try:
        doc = load_yaml(text, RULE_FILE)
    except YamlSyntaxError as exc:
        raise RuleFileError([RuleProblem(RULE_FILE, exc.line, "", exc.message)]) from None
    try:
        return AterkravRules.model_validate(doc.data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
            msg = "okänd nyckel" if err["type"] == "extra_forbidden" else str(err["msg"]).removeprefix("Value error, ")
            problems.append(RuleProblem(RULE_FILE, doc.line_of(loc), field_path(loc), msg))
        raise RuleFileError(problems) from None


def check(files: Mapping[str, str], statutes: Mapping[str, object]) -> list[RuleProblem]:
    """Every problem in the återkrav rules (``ekbist validera``), incl. statutes the manifest lacks."""
    if RULE_FILE not in files:
        return []  # a bundle without återkrav rules is valid; återkrav then cannot be computed
    try:
        rules = load_rules(files)
    except RuleFileError as exc:
        return exc.problems
    refs = [g.lagrum for g in rules.grunder] + [rules.talan.lagrum, rules.brottsmisstanke.lagrum]
    return [
        RuleProblem(RULE_FILE, None, "lagrum", f"författningen {r.sfs} saknas under forfattningar i manifestet")
        for r in refs
        if r.sfs not in statutes
    ]
