"""The vocabulary formulas may use: input variables and named functions.

The law lives in the rule files; this module supplies the verbs they are written with. Each
function is small, documented and typed, and records in the trace what it looked up (the age
band used, the window of jobbstimulans) so that a caseworker can follow the computation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from engine._errors import EvaluationError
from engine._expression import Ctx, FunctionDef, Param, Symbol, T
from engine._input import COST_TYPE_SV, COST_TYPES, INCOME_TYPE_SV, INCOME_TYPES, ROLES, HistoryFacts
from engine._money import ONE, round_down, round_half_up, round_up
from engine._period import Month


@dataclass(frozen=True)
class Table:
    """A table-valued norm: ordered rows of column → number (None where the statute is silent)."""

    id: str
    columns: tuple[str, ...]
    rows: tuple[dict[str, Decimal | None], ...]
    title: str = ""  # for a kommun's guideline: its name and the kommun, shown where the cap applied


# -- input variables -------------------------------------------------------------------------


def _input(name: str, typ: T, entity: str, getter: Callable[[Ctx], Any]) -> Symbol:
    return Symbol("input", name, typ, "person" if entity == "person" else "hushall", getter=getter)


INPUTS: dict[str, Symbol] = {
    s.name: s
    for s in (
        _input("antal_personer", T.NUM, "hushall", lambda c: len(c.facts.persons)),
        _input("antal_vuxna", T.NUM, "hushall", lambda c: c.facts.antal_vuxna),
        _input("antal_barn", T.NUM, "hushall", lambda c: c.facts.antal_barn),
        _input("gemensamt_hushall_antal", T.NUM, "hushall", lambda c: c.facts.gemensamt_hushall_antal or 0),
        _input("ar", T.NUM, "hushall", lambda c: c.facts.period.year),
        _input("manad", T.NUM, "hushall", lambda c: c.facts.period.month),
        _input("alder", T.NUM, "person", lambda c: c.person.alder),
        _input("roll", T.TEXT, "person", lambda c: c.person.roll),
        _input("boendeandel", T.NUM, "person", lambda c: c.person.boendeandel),
        _input("lunch_utanfor_hemmet", T.BOOL, "person", lambda c: c.person.lunch_utanfor_hemmet),
        _input("skolgang", T.BOOL, "person", lambda c: c.person.skolgang),
        _input("forhojd_norm_belopp", T.NUM, "person", lambda c: c.person.forhojd_norm_belopp),
        _input("forhojd_norm_skal", T.TEXT, "person", lambda c: c.person.forhojd_norm_skal),
        _input("forhojd_norm_motivering", T.TEXT, "person", lambda c: c.person.forhojd_norm_motivering),
        _input("manader_i_folj", T.NUM, "person", lambda c: _months_in_row(c)),
        _input(
            "sysselsattning_timmar",
            T.NUM,
            "person",
            lambda c: sum(
                s.timmar_per_vecka for s in c.person.spec.sysselsattning if s.typ != "formedlingsinsatser_deltid"
            ),
        ),
        _input(
            "formedlingsinsatser_deltid",
            T.BOOL,
            "person",
            lambda c: any(s.typ == "formedlingsinsatser_deltid" for s in c.person.spec.sysselsattning),
        ),
        _input("riktalder_uppnadd", T.BOOL, "person", lambda c: c.person.spec.riktalder_uppnadd),
        _input("forman_omfattning_procent", T.NUM, "person", lambda c: c.person.spec.forman_omfattning_procent),
        _input("foraldraledig", T.BOOL, "person", lambda c: c.person.spec.foraldraledig),
        _input(
            "skolar_avslutade",
            T.NUM,
            "person",
            lambda c: -1 if c.person.spec.skolar_avslutade is None else c.person.spec.skolar_avslutade,
        ),
        _input("undantag_begransning", T.BOOL, "hushall", lambda c: c.facts.undantag_begransning is not None),
        _input("undantag_begransning_motivering", T.TEXT, "hushall", lambda c: c.facts.undantag_begransning or ""),
    )
}

INPUT_DOCS: dict[str, str] = {
    "antal_personer": "antal personer i ansökan (varje person räknas som en)",
    "antal_vuxna": "antal vuxna i ansökan (sökande och medsökande)",
    "antal_barn": "antal personer med roll barn",
    "gemensamt_hushall_antal": "antal personer i hushållsgemenskapen, 0 om fältet saknas",
    "ar": "periodens år",
    "manad": "periodens månad (1–12)",
    "alder": "personens ålder i fyllda år den första dagen i perioden",
    "roll": "personens roll: sokande, medsokande eller barn",
    "boendeandel": "andel av månaden barnet bor i hushållet (1 om inget anges)",
    "lunch_utanfor_hemmet": "barnet äter lunch utanför hemmet fem dagar i veckan",
    "skolgang": "barnet eller skolungdomen går i grundskola eller gymnasieskola",
    "forhojd_norm_belopp": "begärt belopp över riksnormen för personens personliga kostnader (0 om inget)",
    "forhojd_norm_skal": "angivna skäl för högre belopp: sarskilda_skal, synnerliga_skal eller tom text",
    "forhojd_norm_motivering": "motiveringen till det högre beloppet",
    "manader_i_folj": "månader i följd med försörjningsstöd före perioden (personens egen historik eller ansökans)",
    "sysselsattning_timmar": "timmar per vecka i anställning, program, SFI eller andra insatser",
    "formedlingsinsatser_deltid": "anvisad att delta på deltid i förmedlingsinsatser (SoF 12 kap. 4 §)",
    "riktalder_uppnadd": "personen har uppnått riktåldern för pension",
    "forman_omfattning_procent": "i vilken omfattning personen har sjuk- eller aktivitetsersättning m.m., procent",
    "foraldraledig": "personen är föräldraledig",
    "skolar_avslutade": "antal avslutade skolår för ett barn, −1 om okänt",
    "undantag_begransning": "hushållet undantas från begränsningen för större hushåll (synnerliga skäl)",
    "undantag_begransning_motivering": "motiveringen till undantaget",
}


def _months_in_row(ctx: Ctx) -> int:
    h = ctx.person.historik if ctx.person.historik is not None else ctx.facts.historik
    return h.months_in_row if h is not None else 0


# -- functions -----------------------------------------------------------------------------
# Functions record trace details as JSON-ready values (int, float, str, bool, lists, dicts):
# the trace is handed to JSON encoders and explanation renderers as it is.


def _json_number(v: Any) -> Any:
    if type(v) is Decimal:
        i = int(v)
        return i if i == v else float(v)
    return v


def _max(ctx: Ctx, a: Sequence[Any]) -> Decimal:
    return max(a)  # type: ignore[no-any-return]


def _min(ctx: Ctx, a: Sequence[Any]) -> Decimal:
    return min(a)  # type: ignore[no-any-return]


def _step(a: Sequence[Any]) -> Decimal:
    step: Decimal = a[1] if len(a) > 1 else ONE
    if step <= 0:
        raise EvaluationError(f"avrundningssteget måste vara positivt, inte {step}")
    return step


def _avrunda(ctx: Ctx, a: Sequence[Any]) -> Decimal:
    return round_half_up(a[0], _step(a))


def _avrunda_ned(ctx: Ctx, a: Sequence[Any]) -> Decimal:
    return round_down(a[0], _step(a))


def _avrunda_upp(ctx: Ctx, a: Sequence[Any]) -> Decimal:
    return round_up(a[0], _step(a))


def _uppslag(ctx: Ctx, a: Sequence[Any]) -> Decimal:
    table: Table = a[0]
    key: Decimal = a[1]
    column = a[2] if len(a) > 2 else "belopp"
    key_col = table.columns[0]
    for row in table.rows:
        if row.get(key_col) == key:
            value = row.get(column)
            if value is None:
                break
            ctx.details[f"{table.id}.{key_col}"] = _json_number(key)
            return value
    raise EvaluationError(f"tabellen {table.id} har inget värde i kolumnen {column} för {key_col} = {key}")


def _intervall(ctx: Ctx, a: Sequence[Any]) -> Decimal:
    table: Table = a[0]
    value: Decimal = a[1]
    column = a[2] if len(a) > 2 else "belopp"
    fallback = a[3] if len(a) > 3 else None
    lo, hi = table.columns[0], table.columns[1]
    for row in table.rows:
        low, high = row.get(lo), row.get(hi)
        if low is not None and value >= low and (high is None or value <= high):
            used = column
            result = row.get(column)
            if result is None and fallback is not None:
                used = fallback
                result = row.get(fallback)
            if result is None:
                break
            ctx.details["intervall"] = f"{low}" if high == low else (f"{low}–{high}" if high is not None else f"{low}–")
            ctx.details["kolumn"] = used
            ctx.details["tabellvarde"] = _json_number(result)
            return result
    raise EvaluationError(f"tabellen {table.id} har ingen rad som omfattar {value}")


def _summa_intervall(ctx: Ctx, a: Sequence[Any]) -> Any:
    """Σ over every whole age (or other key) from..to of the table's value for it."""
    table: Table = a[0]
    lo, hi = int(a[1]), int(a[2])
    column = a[3] if len(a) > 3 else "belopp"
    fallback = a[4] if len(a) > 4 else None
    total: Any = 0
    saved = dict(ctx.details)
    for x in range(lo, hi + 1):
        total += _intervall(ctx, (table, x, column, fallback) if fallback else (table, x, column))
    ctx.details.clear()
    ctx.details.update(saved)
    parts = ctx.details.setdefault("summor", [])
    parts.append({"fran": lo, "till": hi, "kolumn": column, "summa": _json_number(total)})
    return total


def _income_details(ctx: Ctx, parts: dict[str, int]) -> None:
    if parts:
        seen = ctx.details.setdefault("inkomster", [])
        seen.extend({"typ": t, "text": INCOME_TYPE_SV[t], "belopp": v} for t, v in parts.items())


def _inkomst(ctx: Ctx, a: Sequence[Any]) -> int:
    income: dict[str, int] = ctx.person.income
    parts = {t: income[t] for t in a if t in income}
    _income_details(ctx, parts)
    return sum(parts.values())


def _inkomst_utom(ctx: Ctx, a: Sequence[Any]) -> int:
    excluded = set(a)
    income: dict[str, int] = ctx.person.income
    parts = {t: v for t, v in income.items() if t not in excluded}
    _income_details(ctx, parts)
    return sum(parts.values())


def _hittills_i_ar(ctx: Ctx, a: Sequence[Any]) -> int:
    so_far: dict[str, int] = ctx.person.income_so_far
    return sum(so_far[t] for t in a if t in so_far)


def _kostnad(ctx: Ctx, a: Sequence[Any]) -> int:
    costs: dict[str, int] = ctx.facts.costs
    return sum(costs[t] for t in a if t in costs)


def _skalig_kostnad(ctx: Ctx, a: Sequence[Any]) -> int | Decimal:
    """The cost applied for, capped where the kommun's local guidelines set a ceiling.

    A cap table is chosen by the application's ``kommun`` (``kommun.<kod>.tak.<kostnad>``, from
    ``regelverk/kommuner/``); its row by the household's adults and children (or, in the older form,
    by the number of persons). A cost above the cap counts at the cap, unless the caseworker has
    approved it after an assessment (``skalighetsbedomning: godkand`` with a motivation): then it
    counts in full. Both are recorded for the deviations KAPAD_KOSTNAD and MANUELL_SKALIGHETSBEDOMNING.
    """
    typ = a[0]
    return _counted_cost(ctx, typ, ctx.facts.costs.get(typ, 0), {})


def _skalig_boendekostnad(ctx: Ctx, a: Sequence[Any]) -> int | Decimal:
    """The housing cost under SoL 12 kap. 7 d § (from 2027): a dwelling let second-hand counts only
    with the landlord's, the housing cooperative's or the rent tribunal's consent, unless the nämnd
    states special reasons; what counts is then capped like any cost."""
    lines = []
    counted = 0
    for amount, second_hand in ctx.facts.housing:
        line: dict[str, Any] = {"belopp": amount, "andrahand": second_hand is not None}
        ok = second_hand is None or second_hand.samtycke or bool(second_hand.sarskilda_skal)
        if second_hand is not None:
            line.update(samtycke=second_hand.samtycke, sarskilda_skal=bool(second_hand.sarskilda_skal))
            if second_hand.sarskilda_skal:
                line["motivering"] = second_hand.sarskilda_skal
        line["raknas"] = ok
        counted += amount if ok else 0
        lines.append(line)
    extra = {"rader": lines} if any(x["andrahand"] for x in lines) else {}
    if extra and counted < ctx.facts.costs.get("boende", 0):
        extra["utan_samtycke"] = ctx.facts.costs.get("boende", 0) - counted
    return _counted_cost(ctx, "boende", counted, extra)


def _counted_cost(ctx: Ctx, typ: str, applied: int, extra: dict[str, Any]) -> int | Decimal:
    counted: int | Decimal = applied
    post: dict[str, Any] = {"typ": typ, "text": COST_TYPE_SV[typ], "ansokt": applied, **extra}
    if "utan_samtycke" in extra:
        post["ansokt"] = applied + extra["utan_samtycke"]
    kommun = ctx.facts.kommun
    table = ctx.norms.get(f"kommun.{kommun}.tak.{typ}") if kommun and applied else None
    if table is not None:
        cap = _cap(table, ctx.facts)
        if cap is not None and applied > cap:
            approved = ctx.facts.approved_costs.get(typ)
            post.update(
                {"tak": _json_number(cap), "kommun": kommun, "norm": table.id, "riktlinje": table.title or table.id}
            )
            if approved is not None:
                post.update({"godkand": True, "motivering": approved})
            else:
                counted = cap
    if applied or extra:
        post["belopp"] = _json_number(counted)
        ctx.details.setdefault("kostnader", []).append(post)
    return counted


def _cap(table: Table, facts: Any) -> Decimal | None:
    cols = table.columns
    if "vuxna_fran" in cols:
        adults, children = facts.antal_vuxna, facts.antal_barn
        for row in table.rows:
            if _within(adults, row.get("vuxna_fran"), row.get("vuxna_till")) and _within(
                children, row.get("barn_fran"), row.get("barn_till")
            ):
                return row.get("belopp")
        return None
    size = len(facts.persons)
    lo, hi = cols[0], cols[1]
    for row in table.rows:
        if _within(size, row.get(lo), row.get(hi)):
            return row.get("belopp")
    return None


def _within(n: int, low: Any, high: Any) -> bool:
    return low is not None and n >= low and (high is None or n <= high)


def jobbstimulans_window(h: HistoryFacts | None, period: Month, qualify: int, length: int) -> dict[str, Any]:
    """Whether ``period`` lies in a jobbstimulans window (12 kap. 8 § SoL; 4 kap. 1 b § SoL 2001:453).

    The months with försörjningsstöd in a row end just before ``period`` and began at
    R = period − months_in_row. The first window starts at the known start, or at R + qualify
    (after qualify months in a row); it lasts ``length`` months. When a window ends at E, the
    next can start only after qualify new months in a row: at max(E, R) + qualify.

    Computed in closed form, never window by window: after the first window, windows recur every
    ``length + qualify`` months, so the one around ``period`` is found by one division whatever the
    history's length.
    """
    months = h.months_in_row if h else 0
    run_start = period - months
    start = h.jobbstimulans_start if h and h.jobbstimulans_start else run_start + qualify
    if period >= start + length:  # past the first window: later ones recur with a fixed cycle
        first_again = max(start + length, run_start) + qualify
        cycle = max(1, length + qualify)
        if period >= first_again:
            start = first_again + ((period.index - first_again.index) // cycle) * cycle
            if period >= start + length:  # in the qualifying gap after that window
                start = start + cycle
        else:
            start = first_again
    end = start + length  # first month after the window
    return {"galler": start <= period < end, "serie_start": run_start, "fonster_start": start, "fonster_slut": end - 1}


def _jobbstimulans(ctx: Ctx, a: Sequence[Any]) -> bool:
    qualify, length = int(a[0]), int(a[1])
    person = ctx.person
    h = person.historik if person.historik is not None else ctx.facts.historik
    w = jobbstimulans_window(h, ctx.facts.period, qualify, length)
    ctx.details["manader_i_folj"] = h.months_in_row if h else 0
    ctx.details["egen_historik"] = person.historik is not None
    ctx.details["fonster_start"] = str(w["fonster_start"])
    ctx.details["fonster_slut"] = str(w["fonster_slut"])
    return bool(w["galler"])


_NUM = Param(T.NUM)
_OPT_NUM = Param(T.NUM, optional=True)
_INCOME = Param(T.TEXT, choices=frozenset(INCOME_TYPES))
_COST = Param(T.TEXT, choices=frozenset(COST_TYPES))

FUNCTIONS: dict[str, FunctionDef] = {
    f.name: f
    for f in (
        FunctionDef("max", (_NUM, _NUM), T.NUM, _max, "största av talen", varargs=_NUM),
        FunctionDef("min", (_NUM, _NUM), T.NUM, _min, "minsta av talen", varargs=_NUM),
        FunctionDef(
            "avrunda",
            (_NUM, _OPT_NUM),
            T.NUM,
            _avrunda,
            "avrunda till närmaste hela krona (eller steg, t.ex. 10), halvor uppåt",
        ),
        FunctionDef("avrunda_ned", (_NUM, _OPT_NUM), T.NUM, _avrunda_ned, "avrunda nedåt till närmaste lägre steg"),
        FunctionDef("avrunda_upp", (_NUM, _OPT_NUM), T.NUM, _avrunda_upp, "avrunda uppåt till närmaste högre steg"),
        FunctionDef(
            "uppslag",
            (Param(T.TABLE), _NUM, Param(T.TEXT, column_of=0, optional=True)),
            T.NUM,
            _uppslag,
            "värdet i tabellens rad där första kolumnen är lika med nyckeln",
        ),
        FunctionDef(
            "intervall",
            (
                Param(T.TABLE),
                _NUM,
                Param(T.TEXT, column_of=0, optional=True),
                Param(T.TEXT, column_of=0, optional=True),
            ),
            T.NUM,
            _intervall,
            "värdet i tabellens rad vars intervall (två första kolumnerna) omfattar talet; "
            "fjärde argumentet är kolumnen att använda där raden saknar värde",
        ),
        FunctionDef(
            "summa_intervall",
            (
                Param(T.TABLE),
                _NUM,
                _NUM,
                Param(T.TEXT, column_of=0, optional=True),
                Param(T.TEXT, column_of=0, optional=True),
            ),
            T.NUM,
            _summa_intervall,
            "summan av tabellens värden för varje helt tal från–till (t.ex. varje ålder 0–20)",
        ),
        FunctionDef("inkomst", (_INCOME,), T.NUM, _inkomst, "personens inkomster av angivna typer", "person", _INCOME),
        FunctionDef(
            "inkomst_utom",
            (),
            T.NUM,
            _inkomst_utom,
            "personens inkomster av alla typer utom de angivna",
            "person",
            _INCOME,
        ),
        FunctionDef(
            "hittills_i_ar",
            (_INCOME,),
            T.NUM,
            _hittills_i_ar,
            "personens inkomster av angiven typ tidigare under kalenderåret",
            "person",
            _INCOME,
        ),
        FunctionDef(
            "kostnad", (_COST,), T.NUM, _kostnad, "hushållets ansökta kostnader av angivna typer", "hushall", _COST
        ),
        FunctionDef(
            "skalig_kostnad",
            (_COST,),
            T.NUM,
            _skalig_kostnad,
            "ansökt kostnad, begränsad till kommunens tak när lokala riktlinjer anger ett",
            "hushall",
        ),
        FunctionDef(
            "skalig_boendekostnad",
            (),
            T.NUM,
            _skalig_boendekostnad,
            "boendekostnaden där en bostad i andra hand räknas bara med samtycke eller särskilda skäl "
            "(12 kap. 7 d §), begränsad till kommunens tak",
            "hushall",
        ),
        FunctionDef(
            "jobbstimulans",
            (_NUM, _NUM),
            T.BOOL,
            _jobbstimulans,
            "om perioden ligger i ett jobbstimulansfönster: jobbstimulans(kvalificeringsmånader, varaktighet)",
            "person",
        ),
    )
}

# Keys functions may put in a trace entry's details, usable in explanation templates.
DETAIL_KEYS = frozenset(
    {
        "intervall",
        "kolumn",
        "tabellvarde",
        "inkomster",
        "kostnader",
        "manader_i_folj",
        "egen_historik",
        "fonster_start",
        "fonster_slut",
    }
)

ROLE_VALUES = frozenset(ROLES)
