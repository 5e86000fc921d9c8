"""The application (ansökan) as the contract defines it, validated strictly.

Two layers: a pydantic schema that refuses unknown fields, wrong types and negative amounts,
and semantic checks that need the whole application (one applicant, children's ages, incomes
for persons that exist, ...). Every problem is reported with the field path, in Swedish,
and all problems are reported at once so that a caseworker can fix them in one go.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

import orjson
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
)

from engine._errors import InputError, Problem
from engine._limits import (
    MAX_ALDER,
    MAX_BELOPP,
    MAX_HUSHALLSGEMENSKAP,
    MAX_INKOMSTRADER,
    MAX_KOSTNADSRADER,
    MAX_MANADER_I_FOLJ,
    MAX_MOTIVERING,
    MAX_PERSONER,
    MAX_SUMMA,
    MAX_SYSSELSATTNINGAR,
)
from engine._period import Month, age_on
from engine._personnummer import birth_date as personnummer_birth_date
from engine._personnummer import normalise as normalise_personnummer
from engine._personnummer import problem as personnummer_problem

ROLES = ("sokande", "medsokande", "barn")
ADULT_ROLES = frozenset({"sokande", "medsokande"})
INCOME_TYPES = (
    "lon",
    "sjukpenning",
    "sjukersattning",
    "aktivitetsersattning",
    "foraldrapenning",
    "barnbidrag",
    "underhallsstod",
    "bostadsbidrag",
    "bostadstillagg",
    "a_kassa",
    "aktivitetsstod",
    "etableringsersattning",
    "studiemedel",
    "pension",
    "fritidskort",
    "ovrig",
)
COST_TYPES = ("boende", "hushallsel", "arbetsresor", "hemforsakring", "fackavgift", "a_kassa_avgift")

ROLE_SV = {"sokande": "sökande", "medsokande": "medsökande", "barn": "barn"}
INCOME_TYPE_SV = {
    "lon": "lön",
    "sjukpenning": "sjukpenning",
    "sjukersattning": "sjukersättning",
    "aktivitetsersattning": "aktivitetsersättning",
    "foraldrapenning": "föräldrapenning",
    "barnbidrag": "barnbidrag",
    "underhallsstod": "underhållsstöd",
    "bostadsbidrag": "bostadsbidrag",
    "bostadstillagg": "bostadstillägg",
    "a_kassa": "arbetslöshetsersättning (a-kassa)",
    "aktivitetsstod": "aktivitetsstöd",
    "etableringsersattning": "etableringsersättning",
    "studiemedel": "studiemedel",
    "pension": "pension",
    "fritidskort": "fritidskort",
    "ovrig": "övrig inkomst",
}
COST_TYPE_SV = {
    "boende": "boende",
    "hushallsel": "hushållsel",
    "arbetsresor": "arbetsresor",
    "hemforsakring": "hemförsäkring",
    "fackavgift": "medlemsavgift till fackförening",
    "a_kassa_avgift": "medlemsavgift till arbetslöshetskassa",
}

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTH_RE = re.compile(r"^(?!0000)\d{4}-(0[1-9]|1[0-2])$")


def _to_date(v: Any) -> Any:
    if isinstance(v, datetime):
        raise ValueError("ska vara ett datum ÅÅÅÅ-MM-DD utan klockslag")
    if isinstance(v, date):
        return v
    if isinstance(v, str) and _DATE_RE.match(v):
        try:
            return date.fromisoformat(v)
        except ValueError:
            raise ValueError(f"'{v}' är inget giltigt datum") from None
    raise ValueError("ska vara ett datum på formen ÅÅÅÅ-MM-DD")


def _to_month(v: Any) -> Any:
    if isinstance(v, str) and _MONTH_RE.match(v):
        return v
    raise ValueError("ska vara en månad på formen ÅÅÅÅ-MM (t.ex. 2026-03)")


def _to_share(v: Any) -> Any:
    if isinstance(v, bool) or not isinstance(v, int | float | Decimal):
        raise ValueError("ska vara ett tal större än 0 och högst 1")
    try:
        d = Decimal(str(v))
    except InvalidOperation:
        raise ValueError("ska vara ett tal större än 0 och högst 1") from None
    if not d.is_finite():
        raise ValueError("ska vara ett tal större än 0 och högst 1")
    if not (Decimal(0) < d <= Decimal(1)):
        raise ValueError(f"{v} ligger inte i intervallet 0 < andel ≤ 1")
    return d


def _to_personnummer(v: Any) -> Any:
    if not isinstance(v, str):
        raise ValueError("ska vara en text med 12 siffror")
    why = personnummer_problem(v)
    if why:
        raise ValueError(why)
    return normalise_personnummer(v)  # stored as 12 digits whatever form was written


def _to_kommun(v: Any) -> Any:
    if isinstance(v, int) and not isinstance(v, bool) and 1000 <= v <= 9999:
        return str(v)
    if isinstance(v, str) and re.fullmatch(r"\d{4}", v):
        return v
    raise ValueError("ska vara en fyrsiffrig kommunkod, t.ex. '0180'")


def _printable(v: str) -> str:
    if any((ord(c) < 32 and c not in "\n\t") or c == "\x7f" for c in v):
        raise ValueError("texten innehåller styrtecken (t.ex. NUL); skriv vanlig text")
    return v


DateField = Annotated[date, BeforeValidator(_to_date)]
MonthField = Annotated[str, BeforeValidator(_to_month)]
Kronor = Annotated[StrictInt, Field(ge=0, le=MAX_BELOPP)]
Ident = Annotated[StrictStr, Field(min_length=1, max_length=64), AfterValidator(_printable)]
Motivering = Annotated[StrictStr, Field(min_length=1, max_length=MAX_MOTIVERING), AfterValidator(_printable)]
Beskrivning = Annotated[StrictStr, Field(max_length=MAX_MOTIVERING), AfterValidator(_printable)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Historik(_Strict):
    manader_i_folj: Annotated[StrictInt, Field(ge=0, le=MAX_MANADER_I_FOLJ)] = 0
    jobbstimulans_start: MonthField | None = None


class ForhojdNorm(_Strict):
    """A request to compute a person's personal costs above the riksnorm, with its reasons."""

    belopp: Annotated[StrictInt, Field(gt=0, le=MAX_BELOPP)]
    skal: Literal["sarskilda_skal", "synnerliga_skal"] | None = None
    motivering: Motivering


class Sysselsattning(_Strict):
    """An occupation that counts against the activity requirement (SoL 12 kap. 4 a § 3, 4 b §)."""

    typ: Literal["anstallning", "arbetsmarknadspolitiskt_program", "sfi", "annan_insats", "formedlingsinsatser_deltid"]
    timmar_per_vecka: Annotated[StrictInt, Field(ge=0, le=168)]


class AktivitetskravUppgift(_Strict):
    """What happened with activities the person was directed to (SoL 12 kap. 5 §)."""

    avbojt_eller_uteblivit: StrictBool
    godtagbart_skal: StrictBool = False
    beskrivning: Beskrivning | None = None


class Sjukdom(_Strict):
    """Sickness that keeps the person from the labour market (SoL 12 kap. 3 a §)."""

    dagar_i_folj: Annotated[StrictInt, Field(ge=1)]
    lakarintyg_inlamnat: StrictBool = False


class UndantagBegransning(_Strict):
    """Synnerliga skäl to exempt a household from the limitation for larger households."""

    motivering: Motivering


class Person(_Strict):
    id: Ident
    roll: Literal["sokande", "medsokande", "barn"]
    fodd: DateField
    historik: Historik | None = None
    lunch_utanfor_hemmet: StrictBool = False
    skolgang: StrictBool = False
    boendeandel: Annotated[Decimal, BeforeValidator(_to_share)] | None = None
    forhojd_norm: ForhojdNorm | None = None
    personnummer: Annotated[str, BeforeValidator(_to_personnummer)] | None = None
    sysselsattning: Annotated[list[Sysselsattning], Field(max_length=MAX_SYSSELSATTNINGAR)] = []
    riktalder_uppnadd: StrictBool = False
    forman_omfattning_procent: Annotated[StrictInt, Field(ge=0, le=100)] = 0
    foraldraledig: StrictBool = False
    aktivitetskrav: AktivitetskravUppgift | None = None
    rehabilitering: AktivitetskravUppgift | None = None  # arbetslivsinriktad rehabilitering (12 kap. 4 g §)
    sjukdom: Sjukdom | None = None
    vistas_lagligt: StrictBool = True
    skolar_avslutade: Annotated[StrictInt, Field(ge=0, le=13)] | None = None


class Inkomst(_Strict):
    person: Ident
    typ: Literal[INCOME_TYPES]  # type: ignore[valid-type]
    belopp: Kronor
    hittills_i_ar: Annotated[StrictInt, Field(ge=0, le=12 * MAX_BELOPP)] | None = None


class Andrahand(_Strict):
    """A dwelling let to the applicant second-hand (SoL 12 kap. 7 d §, from 2027)."""

    samtycke: StrictBool  # the landlord, the housing cooperative or the rent tribunal has consented
    sarskilda_skal: Motivering | None = None  # the nämnd's special reasons to count it without consent


class Kostnad(_Strict):
    typ: Literal[COST_TYPES]  # type: ignore[valid-type]
    belopp: Kronor
    andrahand: Andrahand | None = None
    # The caseworker's assessment that a cost above the kommun's cap is reasonable in this case.
    skalighetsbedomning: Literal["godkand"] | None = None
    motivering: Motivering | None = None


class ForegaendeInkomst(_Strict):
    person: Ident
    typ: Literal[INCOME_TYPES]  # type: ignore[valid-type]
    belopp: Kronor


class Foregaende(_Strict):
    """The household's previous decided calculation, as the controls compare with it."""

    period: MonthField
    antal_personer: Annotated[StrictInt, Field(ge=1, le=MAX_PERSONER)]
    boendekostnad: Kronor = 0
    inkomster: Annotated[list[ForegaendeInkomst], Field(max_length=MAX_INKOMSTRADER)] = []


class Ansokan(_Strict):
    period: MonthField
    kommun: Annotated[str, BeforeValidator(_to_kommun)] | None = None
    hushall: Annotated[list[Person], Field(min_length=1, max_length=MAX_PERSONER)]
    gemensamt_hushall_antal: Annotated[StrictInt, Field(ge=1, le=MAX_HUSHALLSGEMENSKAP)] | None = None
    inkomster: Annotated[list[Inkomst], Field(max_length=MAX_INKOMSTRADER)] = []
    kostnader: Annotated[list[Kostnad], Field(max_length=MAX_KOSTNADSRADER)] = []
    historik: Historik | None = None
    undantag_begransning: UndantagBegransning | None = None
    foregaende: Foregaende | None = None


# -- facts: what the rules read ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HistoryFacts:
    months_in_row: int
    jobbstimulans_start: Month | None


@dataclass(slots=True)
class PersonFacts:
    id: str
    roll: str
    fodd: date
    alder: int
    boendeandel: Decimal | int
    lunch_utanfor_hemmet: bool
    skolgang: bool
    historik: HistoryFacts | None
    index: int = 0
    personnummer: str | None = None
    spec: Any = None  # the validated Person, for rules and controls about the person's situation
    forhojd_norm_belopp: int = 0
    forhojd_norm_skal: str = ""
    forhojd_norm_motivering: str = ""
    income: dict[str, int] = field(default_factory=dict)
    income_so_far: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class Facts:
    period: Month
    kommun: str | None
    persons: list[PersonFacts]
    costs: dict[str, int]
    gemensamt_hushall_antal: int | None
    historik: HistoryFacts | None
    antal_vuxna: int
    antal_barn: int
    undantag_begransning: str | None = None
    approved_costs: dict[str, str] = field(default_factory=dict)  # cost type → the caseworker's motivation
    foregaende: Foregaende | None = None  # the previous decided calculation, for the controls
    housing: list[tuple[int, Any]] = field(default_factory=list)  # each boende line: amount, Andrahand or None


def _history(h: Historik | None) -> HistoryFacts | None:
    if h is None:
        return None
    start = Month.parse(h.jobbstimulans_start) if h.jobbstimulans_start else None
    return HistoryFacts(h.manader_i_folj, start)


def parse_application(data: Any) -> tuple[Ansokan, Facts]:
    """Validate an application and derive the facts rules read; raise :class:`InputError`."""
    if not isinstance(data, Mapping):
        raise InputError([Problem("", "ansökan ska vara ett objekt (YAML/JSON-mappning) med fältet 'period'")])
    data = with_swedish_spellings(data)
    try:
        app = Ansokan.model_validate(data)
    except ValidationError as exc:
        raise InputError(problems_from_validation(exc)) from None
    problems = check_semantics(app)
    if problems:
        raise InputError(problems)
    return app, to_facts(app)


# Swedish letters are accepted everywhere a person writes a field name or one of the contract's
# codes: "sökande", "lön", "hushållsel", "född", "hushåll", "a-kassa". They are read as the contract's
# folded codes; free text (ids, motiveringar) is never changed.
_FOLD = str.maketrans({"å": "a", "ä": "a", "ö": "o", "é": "e", "Å": "A", "Ä": "A", "Ö": "O", "É": "E"})
_CODE_FIELDS = frozenset({"roll", "typ", "skal", "skalighetsbedomning"})
_MAX_FOLD_DEPTH = 8


def _fold(text: str) -> str:
    return text.translate(_FOLD)


def _code(text: str) -> str:
    folded = _fold(text.strip()).lower().replace("-", "_").replace(" ", "_")
    return folded if folded.isascii() else text


_NEEDS_READING = re.compile(rb'"(?:roll|typ|skal|skalighetsbedomning)":"[^"]*[^a-z0-9_"]|"personnummer"')


def _already_folded(data: Mapping[str, Any]) -> bool:
    """True when nothing is to be read otherwise: every field name and code is the contract's spelling
    and no personnummer may give a missing ``fodd`` (checked on the JSON text, in C, not node by node)."""
    try:
        raw = orjson.dumps(data)
    except TypeError:
        return False
    return raw.isascii() and _NEEDS_READING.search(raw) is None


def with_swedish_spellings(data: Mapping[str, Any]) -> Mapping[str, Any]:
    """The application with Swedish spellings of field names and codes read as the contract's, and
    ``fodd`` taken from a valid personnummer where it is missing (a copy; the caller's is never changed)."""
    if _already_folded(data):
        return data

    def walk(value: Any, depth: int) -> Any:
        if depth > _MAX_FOLD_DEPTH:
            return value
        if isinstance(value, Mapping):
            out: dict[Any, Any] = {}
            origin: dict[Any, Any] = {}
            for k, v in value.items():
                key = _fold(k) if isinstance(k, str) else k
                if key in out:
                    # "hushall" and "hushåll" both given: both keep their own names, and the
                    # validation names the one that is not the contract's
                    if origin[key] != key:
                        out[origin[key]] = out.pop(key)
                    key = k
                origin[key] = k
                out[key] = _code(v) if key in _CODE_FIELDS and isinstance(v, str) else walk(v, depth + 1)
            return out
        if isinstance(value, list):
            return [walk(v, depth + 1) for v in value]
        return value

    result: dict[str, Any] = walk(data, 0)
    for person in result.get("hushall") or [] if isinstance(result.get("hushall"), list) else []:
        number = person.get("personnummer") if isinstance(person, dict) else None
        if isinstance(number, str) and "fodd" not in person and personnummer_problem(number) is None:
            born = personnummer_birth_date(normalise_personnummer(number) or "")
            if born is not None:
                person["fodd"] = born.isoformat()
    return result


def check_semantics(app: Ansokan) -> list[Problem]:
    """Rules that need the whole application; returns every problem found."""
    problems: list[Problem] = []
    period = Month.parse(app.period)
    ids: dict[str, int] = {}
    numbers: dict[str, int] = {}
    applicants = [i for i, p in enumerate(app.hushall) if p.roll == "sokande"]
    co_applicants = [i for i, p in enumerate(app.hushall) if p.roll == "medsokande"]
    if not applicants:
        problems.append(Problem("hushall", "exakt en person ska ha roll 'sokande'; ingen har det"))
    for i in applicants[1:]:
        problems.append(
            Problem(f"hushall[{i}].roll", "ansökan har redan en sökande; exakt en person får ha roll 'sokande'")
        )
    for i in co_applicants[1:]:
        problems.append(
            Problem(f"hushall[{i}].roll", "högst en medsökande (make, maka eller sambo till sökanden) får anges")
        )
    first, last = period.first_day, period.last_day
    for i, p in enumerate(app.hushall):
        where = f"hushall[{i}]"
        if p.id in ids:
            problems.append(Problem(f"{where}.id", f"id '{p.id}' används redan av hushall[{ids[p.id]}]"))
        ids.setdefault(p.id, i)
        if p.personnummer is not None and p.personnummer in numbers:
            problems.append(
                Problem(f"{where}.personnummer", f"samma personnummer som hushall[{numbers[p.personnummer]}]")
            )
        if p.personnummer is not None:
            numbers.setdefault(p.personnummer, i)
        if p.fodd > last:
            problems.append(
                Problem(f"{where}.fodd", f"{p.fodd} ligger efter perioden {period}; personen är inte född än")
            )
            continue
        age = age_on(p.fodd, first)
        if age > MAX_ALDER:
            problems.append(
                Problem(f"{where}.fodd", f"{p.fodd} ger åldern {age} år; högst {MAX_ALDER} år tas emot (skrivfel?)")
            )
            continue
        if p.roll == "barn":
            if age >= 21:
                problems.append(
                    Problem(f"{where}.fodd", f"barnet är {age} år; barn och skolungdomar måste vara under 21 år")
                )
            elif age >= 18 and not p.skolgang:
                problems.append(
                    Problem(
                        f"{where}.skolgang",
                        f"barnet är {age} år och går inte i skolan (skolgang saknas eller är false); "
                        "en 18–20-åring som inte går i grundskola eller gymnasieskola ansöker själv",
                    )
                )
            if p.historik is not None:
                problems.append(
                    Problem(
                        f"{where}.historik", "historik gäller en vuxens egen jobbstimulans och kan inte anges för barn"
                    )
                )
        elif p.boendeandel is not None:
            problems.append(Problem(f"{where}.boendeandel", "boendeandel gäller barn (växelvis boende) och inte vuxna"))
        if p.roll == "barn":
            adult_only = (
                "sysselsattning",
                "aktivitetskrav",
                "rehabilitering",
                "sjukdom",
                "riktalder_uppnadd",
                "foraldraledig",
            )
            for name in adult_only:
                if name in p.model_fields_set:
                    problems.append(Problem(f"{where}.{name}", f"{name} gäller vuxna (sökande och medsökande)"))
        elif p.skolar_avslutade is not None:
            problems.append(Problem(f"{where}.skolar_avslutade", "skolar_avslutade gäller barn"))
        if p.historik is not None:
            problems.extend(_check_history(p.historik, period, f"{where}.historik"))
    if app.historik is not None:
        problems.extend(_check_history(app.historik, period, "historik"))
    if app.foregaende is not None:
        if Month.parse(app.foregaende.period) >= period:
            problems.append(Problem("foregaende.period", "ska vara en månad före den sökta"))
        for i, prev in enumerate(app.foregaende.inkomster):
            if prev.person not in ids:
                problems.append(Problem(f"foregaende.inkomster[{i}].person", f"'{prev.person}' finns inte i hushall"))
    for i, inc in enumerate(app.inkomster):
        if inc.person not in ids:
            problems.append(
                Problem(f"inkomster[{i}].person", f"'{inc.person}' finns inte i hushall (kända id: {', '.join(ids)})")
            )
        if inc.hittills_i_ar is not None and inc.typ != "lon":
            problems.append(
                Problem(f"inkomster[{i}].hittills_i_ar", "hittills_i_ar gäller barns arbetsinkomst (typ 'lon')")
            )
    for i, c in enumerate(app.kostnader):
        if c.andrahand is not None and c.typ != "boende":
            problems.append(Problem(f"kostnader[{i}].andrahand", "andrahand gäller kostnader för boende"))
        if c.skalighetsbedomning is not None and not c.motivering:
            problems.append(
                Problem(f"kostnader[{i}].motivering", "en godkänd skälighetsbedömning ska motiveras (motivering)")
            )
        if c.motivering is not None and c.skalighetsbedomning is None:
            problems.append(
                Problem(f"kostnader[{i}].skalighetsbedomning", "motivering hör till skalighetsbedomning: godkand")
            )
    total = sum(i.belopp for i in app.inkomster) + sum(c.belopp for c in app.kostnader)
    total += sum(p.forhojd_norm.belopp for p in app.hushall if p.forhojd_norm is not None)
    if total > MAX_SUMMA:
        problems.append(
            Problem(
                "",
                f"ansökans belopp är tillsammans {total} kr; högst {MAX_SUMMA} kr tas emot (skrivfel?)",
            )
        )
    n = app.gemensamt_hushall_antal
    if n is not None and n < len(app.hushall):
        problems.append(
            Problem(
                "gemensamt_hushall_antal",
                f"hushållsgemenskapen ({n} personer) kan inte vara mindre än antalet personer i ansökan "
                f"({len(app.hushall)})",
            )
        )
    return problems


def _check_history(h: Historik, period: Month, where: str) -> list[Problem]:
    if h.jobbstimulans_start is not None and Month.parse(h.jobbstimulans_start) > period:
        return [
            Problem(
                f"{where}.jobbstimulans_start",
                f"{h.jobbstimulans_start} ligger efter perioden {period}; ett jobbstimulansfönster kan inte börja "
                "efter den månad som söks",
            )
        ]
    return []


def to_facts(app: Ansokan) -> Facts:
    period = Month.parse(app.period)
    first = period.first_day
    persons: list[PersonFacts] = []
    by_id: dict[str, PersonFacts] = {}
    for i, p in enumerate(app.hushall):
        pf = PersonFacts(
            id=p.id,
            roll=p.roll,
            fodd=p.fodd,
            alder=age_on(p.fodd, first),
            boendeandel=p.boendeandel if p.boendeandel is not None else 1,
            lunch_utanfor_hemmet=p.lunch_utanfor_hemmet,
            skolgang=p.skolgang,
            historik=_history(p.historik),
            index=i,
            personnummer=p.personnummer,
            spec=p,
        )
        if p.forhojd_norm is not None:
            pf.forhojd_norm_belopp = p.forhojd_norm.belopp
            pf.forhojd_norm_skal = p.forhojd_norm.skal or ""
            pf.forhojd_norm_motivering = p.forhojd_norm.motivering
        persons.append(pf)
        by_id[p.id] = pf
    for inc in app.inkomster:
        pf = by_id[inc.person]
        pf.income[inc.typ] = pf.income.get(inc.typ, 0) + inc.belopp
        if inc.hittills_i_ar is not None:
            pf.income_so_far[inc.typ] = pf.income_so_far.get(inc.typ, 0) + inc.hittills_i_ar
    costs: dict[str, int] = {}
    approved: dict[str, str] = {}
    housing: list[tuple[int, Any]] = []
    for c in app.kostnader:
        costs[c.typ] = costs.get(c.typ, 0) + c.belopp
        if c.typ == "boende":
            housing.append((c.belopp, c.andrahand))
        if c.skalighetsbedomning == "godkand" and c.motivering:
            approved[c.typ] = "; ".join(x for x in (approved.get(c.typ), c.motivering) if x)
    adults = sum(1 for p in persons if p.roll in ADULT_ROLES)
    return Facts(
        period=period,
        kommun=app.kommun,
        persons=persons,
        costs=costs,
        gemensamt_hushall_antal=app.gemensamt_hushall_antal,
        historik=_history(app.historik),
        antal_vuxna=adults,
        antal_barn=len(persons) - adults,
        undantag_begransning=app.undantag_begransning.motivering if app.undantag_begransning else None,
        approved_costs=approved,
        housing=housing,
        foregaende=app.foregaende,
    )


# -- pydantic errors in Swedish --------------------------------------------------------------


def field_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.startswith("literal[") or part.startswith("function-"):
            continue
        else:
            out += ("." if out else "") + part
    return out


def problems_from_validation(exc: ValidationError, prefix: str = "") -> list[Problem]:
    return problems_from_errors(exc.errors(include_url=False), prefix)


def problems_from_errors(errors: Iterable[Mapping[str, Any]], prefix: str = "") -> list[Problem]:
    """pydantic's error dicts as problems a person can read, naming the field."""
    problems: list[Problem] = []
    for err in errors:
        path = field_path(tuple(err["loc"]))
        if "personnummer" in path:
            err = {**err, "input": "(dolt)"}  # never repeat a personnummer
        if prefix:
            path = f"{prefix}.{path}" if path else prefix
        problems.append(Problem(path, _message(err)))
    return problems


def _message(err: Mapping[str, Any]) -> str:
    typ = err["type"]
    ctx = err.get("ctx") or {}
    given = err.get("input")
    if typ == "extra_forbidden":
        return "okänt fält; fält som inte finns i kontraktet tas inte emot"
    if typ == "missing":
        return "fältet saknas men är obligatoriskt"
    if typ == "literal_error":
        expected = ctx.get("expected", "")
        return f"ogiltigt värde {_short(given)}; tillåtna värden: {expected.replace(' or ', ', ')}"
    if typ in ("int_type", "int_parsing", "int_from_float"):
        return f"ska vara ett heltal (hela kronor), inte {_short(given)}"
    if typ in ("less_than_equal", "less_than"):
        return f"får vara högst {ctx.get('le', ctx.get('lt'))}, inte {_short(given)} (kontraktets gräns)"
    if typ in ("greater_than_equal", "greater_than"):
        if ctx.get("ge") == 0 or ctx.get("gt") == 0:
            return f"får inte vara negativt ({_short(given)})"
        return f"ska vara minst {ctx.get('ge', ctx.get('gt'))} ({_short(given)})"
    if typ in ("bool_type", "bool_parsing"):
        return f"ska vara true eller false, inte {_short(given)}"
    if typ == "string_type":
        return f"ska vara text, inte {_short(given)}"
    if typ == "string_too_short":
        return "får inte vara en tom text"
    if typ == "string_too_long":
        return f"texten är längre än {ctx.get('max_length')} tecken"
    if typ == "too_long":
        return f"listan har fler än {ctx.get('max_length')} rader (kontraktets gräns)"
    if typ in ("list_type", "too_short"):
        return "ska vara en lista" if typ == "list_type" else "listan får inte vara tom"
    if typ in ("model_type", "model_attributes_type", "dict_type"):
        return "ska vara ett objekt med fält"
    if typ == "value_error":
        msg = str(ctx.get("error", err.get("msg", "")))
        return msg
    return str(err.get("msg", "ogiltigt värde"))


def _short(value: Any) -> str:
    """A refused value as shown in a message: never longer than a line."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"
