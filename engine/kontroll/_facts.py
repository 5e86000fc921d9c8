"""Facts for the control rules, built from the application, the agency answers and the calculation.

Each fact is a flat record of one kind (``fakta``) with typed attributes, so that a control's
condition is a comparison of attributes with values, evaluable both by durable-rules and by the
plain reference. Payments are put in months by their payment date; the control period and the
comparison period are months relative to the period applied for (parameters in
``regelverk/kontroll/parametrar.yaml``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from engine._agency import SOURCE_NAMES, SOURCES, PartAnswer, Payment, PersonAgencyData
from engine._input import ADULT_ROLES, INCOME_TYPE_SV, Facts
from engine._money import format_kr
from engine._period import Month
from engine._rulefiles import KommunTroskel
from engine.kontroll._condition import AttrType
from engine.kontroll._model import AnswerQuality, BenefitMapping

_PERSON: dict[str, AttrType] = {"person": "text", "roll": "text", "kalla": "text"}

FACT_TYPES: dict[str, dict[str, AttrType]] = {
    "inkomst": {
        **_PERSON,
        "kallnamn": "text",
        "kod": "text",
        "forman": "text",
        "typ": "text",
        "typnamn": "text",
        "deklarerat": "tal",
        "utbetalt_kontroll": "tal",
        "utbetalt_jamforelse": "tal",
        "differens": "tal",
        "differens_procent": "tal",
        "andring_procent": "tal",
        "kontrollperiod": "text",
        "jamforelseperiod": "text",
        "har_foregaende": "villkor",
        "pa_beslutet": "tal",
        "foregaende_period": "text",
    },
    "foregaende_inkomst": {
        **_PERSON,
        "typ": "text",
        "typnamn": "text",
        "pa_beslutet": "tal",
        "deklarerat_nu": "tal",
        "foregaende_period": "text",
    },
    "foregaende": {
        "kalla": "text",
        "foregaende_period": "text",
        "antal_personer_nu": "tal",
        "antal_personer_forut": "tal",
        "hushall_andrat": "villkor",
        "boendekostnad_nu": "tal",
        "boendekostnad_forut": "tal",
        "boende_andring_kr": "tal",
        "boende_andring_procent": "tal",
    },
    "forman": {
        **_PERSON,
        "kallnamn": "text",
        "kod": "text",
        "forman": "text",
        "behandling": "text",
        "typ": "text",
        "typnamn": "text",
        "utbetalt_kontroll": "tal",
        "utbetalt_jamforelse": "tal",
        "rader_kontroll": "tal",
        "rader_jamforelse": "tal",
        "andring_kr": "tal",
        "andring_procent": "tal",
        "troskel": "text",
        "troskel_procent": "tal",
        "troskel_text": "text",
        "over_troskel": "villkor",
        "jamforelse_text": "text",
        "mappning": "text",
        "kontrollperiod": "text",
        "jamforelseperiod": "text",
    },
    "radfel": {**_PERSON, "kallnamn": "text", "rad": "text"},
    "studiehjalp": {
        **_PERSON,
        "utbetald_fore": "villkor",
        "utbetald_efter": "villkor",
        "fore_manad": "text",
        "efter_manad": "text",
    },
    "kallstatus": {
        **_PERSON,
        "kallnamn": "text",
        "status": "text",
        "felkod": "text",
        "meddelande": "text",
    },
    "arbetssokande": {**_PERSON, "alder": "tal", "inskriven": "villkor", "avaktualiserad": "text"},
    "avstangning": {
        **_PERSON,
        "a_kassa": "text",
        "fran": "text",
        "till": "text",
        "overlappar_perioden": "villkor",
    },
    "studiestod": {
        **_PERSON,
        "stodform": "text",
        "klartext": "text",
        "status": "text",
        "familj": "text",
        "beviljad_perioden": "villkor",
        "utbetalt_kontroll": "tal",
        "takt": "tal",
        "kontrollperiod": "text",
    },
    "fordon": {
        **_PERSON,
        "regnr": "text",
        "fabrikat": "text",
        "fordonsar": "text",
        "fordonsslag": "text",
        "vuxen": "villkor",
    },
    "kapitalinkomst": {
        **_PERSON,
        "taxeringsar": "tal",
        "taxeringsar_text": "text",
        "intakter": "tal",
        "overskott": "tal",
    },
    "uppehallstillstand": {**_PERSON, "arenden": "tal", "giltigt": "villkor", "senast_giltigt_till": "text"},
    "identitet": {**_PERSON, "skyddad": "villkor", "kallor": "text"},
    "aktivitetskrav": {
        **_PERSON,
        "avbojt_eller_uteblivit": "villkor",
        "godtagbart_skal": "villkor",
        "beskrivning": "text",
        "manader_i_folj": "tal",
    },
    "sjukdom": {**_PERSON, "dagar_i_folj": "tal", "lakarintyg_inlamnat": "villkor"},
    "vistelse": {**_PERSON, "vistas_lagligt": "villkor"},
    "andrahand": {
        "kalla": "text",
        "belopp": "tal",
        "samtycke": "villkor",
        "sarskilda_skal": "villkor",
        "motivering": "text",
        "raknas": "villkor",
    },
    "rehabilitering": {
        **_PERSON,
        "avbojt_eller_uteblivit": "villkor",
        "godtagbart_skal": "villkor",
        "beskrivning": "text",
    },
    "kostnad": {
        "kalla": "text",
        "typ": "text",
        "text": "text",
        "ansokt": "tal",
        "tak": "tal",
        "raknat": "tal",
        "over_tak": "villkor",
        "godkand": "villkor",
        "motivering": "text",
        "riktlinje": "text",
        "kommun": "text",
    },
    "berakning": {
        "period": "text",
        "forsorjningsstod": "tal",
        "overskott": "tal",
        "behov": "tal",
        "inkomster": "tal",
        "riksnorm": "tal",
    },
}


@dataclass(frozen=True)
class Treatment:
    """What the rule files say about one payment: counted as which types, and when a change warns."""

    behandling: str  # inkomst, raknas_inte, okand
    types: tuple[str, ...]
    threshold: str  # exakt, jamfor_inte, procent
    percent: int
    key: str  # the benefit the payment is grouped under
    source: str  # where the mapping comes from, for the trace


CACHE_LIMIT = 4096


class BenefitMapper:
    """An agency's benefit → how it is treated, from ``formaner.yaml`` and the kommun's thresholds."""

    def __init__(
        self,
        mappings: Sequence[BenefitMapping],
        quality: Sequence[AnswerQuality] = (),
        kommun_thresholds: Mapping[str, Sequence[KommunTroskel]] | None = None,
    ) -> None:
        self.mappings = list(mappings)
        self.quality: dict[tuple[str, str], str] = {(q.kalla, q.status.strip()): q.kvalitet for q in quality}
        self.kommun = dict(kommun_thresholds or {})
        self._cache: dict[tuple[Any, ...], Treatment] = {}

    def treat(self, p: Payment, day: date, kommun: str | None, default_percent: int) -> Treatment:
        key = (p.kalla, p.kod, p.text, p.delforman, p.beloppstyp, day, kommun, default_percent)
        found = self._cache.get(key)
        if found is None:
            if len(self._cache) >= CACHE_LIMIT:  # benefit names come from agencies: never grow without bound
                self._cache.clear()
            found = self._cache[key] = self._treat(p, day, kommun, default_percent)
        return found

    def _treat(self, p: Payment, day: date, kommun: str | None, default_percent: int) -> Treatment:
        facts = {"kod": p.kod, "text": p.text.casefold(), "delforman": p.delforman, "beloppstyp": p.beloppstyp}
        best: tuple[tuple[int, bool], int, BenefitMapping] | None = None
        for i, m in enumerate(self.mappings):
            if m.kalla != p.kalla or not _covers(m.giltig_fran, m.giltig_till, day):
                continue
            keys = m.keys
            if any((v.casefold() if k == "text" else v) != facts[k] for k, v in keys.items()):
                continue
            rank = (len(keys), "kod" in keys)
            if best is None or rank > best[0]:
                best = (rank, i, m)
        if best is None:
            return Treatment("okand", (), "exakt", 0, f"okand:{p.kod}:{p.text}", "finns inte i formaner.yaml")
        _, index, m = best
        threshold: Any = m.troskel if m.troskel is not None else default_percent
        for t in self.kommun.get(kommun or "", ()):
            if (
                t.kalla == p.kalla
                and _covers(t.giltig_fran, t.giltig_till, day)
                and (t.kod is None or t.kod == p.kod)
                and (t.text is None or t.text.casefold() == facts["text"])
            ):
                threshold = t.troskel
        mode, percent = (threshold, 0) if isinstance(threshold, str) else ("procent", int(threshold))
        where = m.kalla_for_mappningen or f"formaner.yaml rad {index + 1}"
        return Treatment(m.behandling, m.types, mode, percent, f"rad{index}", where)

    def answer_quality(self, kalla: str, part: PartAnswer) -> str:
        """Payments prove an answer; otherwise the status as the rule files read it, else not checkable."""
        if part.utbetalningar:
            return "svarat"
        return self.quality.get((kalla, part.status.strip()), "ej_kontrollerbar")


def _covers(start: date | None, end: date | None, day: date) -> bool:
    return (start is None or start <= day) and (end is None or day <= end)


def _month(d: date) -> Month:
    return Month.of(d.year, d.month)


def _pct(part: int, whole: int) -> float:
    return round(abs(part) * 100 / whole, 1) if whole else 0.0


def build_facts(
    facts: Facts,
    agency: Mapping[str, PersonAgencyData],
    values: Mapping[str, int],
    params: Mapping[str, Any],
    mapper: BenefitMapper,
) -> list[dict[str, Any]]:
    period = facts.period
    control = period + int(params["kontrollperiod"])
    compare = period + int(params["jamforelseperiod"])
    use_prelim = bool(params.get("anvand_preliminara_utbetalningar", 1))
    out: list[dict[str, Any]] = [
        {
            "fakta": "berakning",
            "period": str(period),
            **{k: int(values[k]) for k in FACT_TYPES["berakning"] if k in values},
        }
    ]
    for person in facts.persons:
        out.extend(_situation(person, facts))
        data = agency.get(person.id)
        if data is None:
            continue
        who = {"person": person.id, "roll": person.roll}
        protected_by: list[str] = []
        for kalla in SOURCES:
            answer = data.source(kalla)
            out.append(
                {
                    "fakta": "kallstatus",
                    **who,
                    "kalla": kalla,
                    "kallnamn": SOURCE_NAMES[kalla],
                    "status": answer.status,
                    "felkod": answer.felkod,
                    "meddelande": answer.meddelande,
                }
            )
            if answer.protected:
                protected_by.append(SOURCE_NAMES[kalla])
            for part in answer.delsvar if answer.answered else ():
                out.append(_part_status(who, kalla, part, mapper))
            for row in answer.radfel:
                out.append({"fakta": "radfel", **who, "kalla": kalla, "kallnamn": SOURCE_NAMES[kalla], "rad": row})
        out.append(
            {"fakta": "identitet", **who, "kalla": "", "skyddad": bool(protected_by), "kallor": ", ".join(protected_by)}
        )
        out.extend(
            _incomes(person, data, period, control, compare, use_prelim, mapper, facts.kommun, params, facts.foregaende)
        )
        season = _studiehjalp(who, data, period, params, use_prelim)
        if season is not None:
            out.append(season)
        af = data.source("AF")
        if af.answered and af.job_seeker is not None and person.roll in ADULT_ROLES:
            active = bool(af.job_seeker) and (af.job_seeker_until is None or af.job_seeker_until >= period.first_day)
            out.append(
                {
                    "fakta": "arbetssokande",
                    **who,
                    "kalla": "AF",
                    "alder": person.alder,
                    "inskriven": active,
                    "avaktualiserad": af.job_seeker_until.isoformat() if af.job_seeker_until else "",
                }
            )
        so = data.source("SO")
        for s in so.suspensions:
            out.append(
                {
                    "fakta": "avstangning",
                    **who,
                    "kalla": "SO",
                    "a_kassa": s.a_kassa,
                    "fran": s.fran.isoformat(),
                    "till": s.till.isoformat(),
                    "overlappar_perioden": s.fran <= period.last_day and s.till >= control.first_day,
                }
            )
        csn = data.source("CSN")
        for st in csn.studies:
            paid = sum(
                p.netto
                for p in csn.payments
                if p.kod == f"CSN:{st.stodform}"
                and p.text == st.familj
                and _month(p.datum) == control
                and (use_prelim or not p.preliminar)
            )
            granted = (
                st.beviljad_fran is not None
                and st.beviljad_till is not None
                and st.beviljad_fran <= period.last_day
                and st.beviljad_till >= period.first_day
            )
            out.append(
                {
                    "fakta": "studiestod",
                    **who,
                    "kalla": "CSN",
                    "stodform": st.stodform,
                    "klartext": st.klartext,
                    "status": st.status,
                    "familj": st.familj,
                    "beviljad_perioden": granted,
                    "utbetalt_kontroll": paid,
                    "takt": st.takt or 0,
                    "kontrollperiod": str(control),
                }
            )
        for v in data.source("TNS").vehicles:
            out.append(
                {
                    "fakta": "fordon",
                    **who,
                    "kalla": "TNS",
                    "regnr": v.regnr,
                    "fabrikat": v.fabrikat,
                    "fordonsar": v.fordonsar,
                    "fordonsslag": v.fordonsslag,
                    "vuxen": person.roll in ADULT_ROLES,
                }
            )
        for c in data.source("SKV").capital:
            out.append(
                {
                    "fakta": "kapitalinkomst",
                    **who,
                    "kalla": "SKV",
                    "taxeringsar": c.taxeringsar,
                    "taxeringsar_text": str(c.taxeringsar),
                    "intakter": c.intakter,
                    "overskott": c.overskott,
                }
            )
        miv = data.source("MIV")
        if miv.answered and miv.permits:
            day = period.first_day
            valid = [
                p
                for p in miv.permits
                if p.beslutskod in ("BEV", "")
                and (
                    p.giltighetstid == "PERMANENT"
                    or (p.fran is not None and p.fran <= day and (p.till is None or p.till >= day))
                )
            ]
            last = max((p.till for p in miv.permits if p.till is not None), default=None)
            out.append(
                {
                    "fakta": "uppehallstillstand",
                    **who,
                    "kalla": "MIV",
                    "arenden": len(miv.permits),
                    "giltigt": bool(valid),
                    "senast_giltigt_till": last.isoformat() if last else "",
                }
            )
    out.extend(_history(facts))
    return out


def _history(facts: Facts) -> list[dict[str, Any]]:
    """The previous decided calculation against this application: its incomes, household and housing."""
    prev = facts.foregaende
    if prev is None:
        return []
    period = str(prev.period)
    amounts: dict[tuple[str, str], int] = {}
    for row in prev.inkomster:
        amounts[(row.person, row.typ)] = amounts.get((row.person, row.typ), 0) + row.belopp
    roles = {p.id: p for p in facts.persons}
    out: list[dict[str, Any]] = []
    for (pid, typ), amount in amounts.items():
        person = roles[pid]
        out.append(
            {
                "fakta": "foregaende_inkomst",
                "person": pid,
                "roll": person.roll,
                "kalla": "foregaende",
                "typ": typ,
                "typnamn": INCOME_TYPE_SV.get(typ, typ),
                "pa_beslutet": amount,
                "deklarerat_nu": person.income.get(typ, 0),
                "foregaende_period": period,
            }
        )
    housing = sum(amount for amount, _ in facts.housing)
    out.append(
        {
            "fakta": "foregaende",
            "kalla": "foregaende",
            "foregaende_period": period,
            "antal_personer_nu": len(facts.persons),
            "antal_personer_forut": prev.antal_personer,
            "hushall_andrat": len(facts.persons) != prev.antal_personer,
            "boendekostnad_nu": housing,
            "boendekostnad_forut": prev.boendekostnad,
            "boende_andring_kr": housing - prev.boendekostnad,
            "boende_andring_procent": _whole_pct(housing - prev.boendekostnad, prev.boendekostnad)
            if prev.boendekostnad
            else (100 if housing else 0),
        }
    )
    return out


def _situation(person: Any, facts: Facts) -> list[dict[str, Any]]:
    """Facts the application itself states about a person (only what it states)."""
    spec = person.spec
    who = {"person": person.id, "roll": person.roll, "kalla": "ansokan"}
    out: list[dict[str, Any]] = []
    if spec is None:
        return out
    if spec.aktivitetskrav is not None:
        h = person.historik if person.historik is not None else facts.historik
        out.append(
            {
                "fakta": "aktivitetskrav",
                **who,
                "avbojt_eller_uteblivit": spec.aktivitetskrav.avbojt_eller_uteblivit,
                "godtagbart_skal": spec.aktivitetskrav.godtagbart_skal,
                "beskrivning": spec.aktivitetskrav.beskrivning or "",
                "manader_i_folj": h.months_in_row if h else 0,
            }
        )
    if spec.sjukdom is not None:
        out.append(
            {
                "fakta": "sjukdom",
                **who,
                "dagar_i_folj": spec.sjukdom.dagar_i_folj,
                "lakarintyg_inlamnat": spec.sjukdom.lakarintyg_inlamnat,
            }
        )
    if spec.rehabilitering is not None:
        out.append(
            {
                "fakta": "rehabilitering",
                **who,
                "avbojt_eller_uteblivit": spec.rehabilitering.avbojt_eller_uteblivit,
                "godtagbart_skal": spec.rehabilitering.godtagbart_skal,
                "beskrivning": spec.rehabilitering.beskrivning or "",
            }
        )
    if "vistas_lagligt" in spec.model_fields_set:
        out.append({"fakta": "vistelse", **who, "vistas_lagligt": spec.vistas_lagligt})
    return out


def _part_status(who: Mapping[str, Any], kalla: str, part: PartAnswer, mapper: BenefitMapper) -> dict[str, Any]:
    """An a-kassa within SO whose answer cannot be relied on is a missing answer, named by the a-kassa."""
    quality = mapper.answer_quality(kalla, part)
    checkable = quality != "ej_kontrollerbar"
    return {
        "fakta": "kallstatus",
        **who,
        "kalla": kalla,
        "kallnamn": part.namn,
        "status": "svar" if checkable else "fel",
        "felkod": "" if checkable else f"status {part.status or 'saknas'}",
        "meddelande": (
            "svarat"
            if checkable
            else "svaret kan inte kontrolleras (statuskoden betyder enligt regelfilerna inte att uppgifterna är "
            "fullständiga), så att inga utbetalningar redovisas visar inte att det inte finns några"
        ),
    }


def _incomes(
    person: Any,
    data: PersonAgencyData,
    period: Month,
    control: Month,
    compare: Month,
    use_prelim: bool,
    mapper: BenefitMapper,
    kommun: str | None,
    params: Mapping[str, Any],
    foregaende: Any = None,
) -> list[dict[str, Any]]:
    """Two kinds of fact: declared against paid per income type (``inkomst``), and each benefit's change
    between the comparison and the control month under its threshold (``forman``)."""
    default_percent = int(params["inkomstandring_procent"])  # required by the loader
    by_type: dict[tuple[str, tuple[str, ...]], dict[str, Any]] = {}
    by_benefit: dict[tuple[str, str], dict[str, Any]] = {}
    day = period.first_day
    for kalla in ("FK", "PM", "SO", "CSN"):
        for p in data.source(kalla).payments:
            if p.preliminar and not use_prelim:
                continue
            m = _month(p.datum)
            if m not in (control, compare):
                continue
            t = mapper.treat(p, day, kommun, default_percent)
            side = "k" if m == control else "j"
            b = by_benefit.setdefault(
                (p.kalla, t.key),
                {"p": p, "t": t, "k": 0, "j": 0, "nk": 0, "nj": 0},
            )
            b[side] += p.netto
            b["n" + side] += 1
            if t.behandling == "inkomst":
                g = by_type.setdefault((p.kalla, t.types), {"p": p, "k": 0, "j": 0})
                g[side] += p.netto
    prev: dict[str, int] | None = None
    if foregaende is not None:
        prev = {}
        for row in foregaende.inkomster:
            if row.person == person.id:
                prev[row.typ] = prev.get(row.typ, 0) + row.belopp
    out = []
    for (kalla, types), g in by_type.items():
        declared = sum(person.income.get(t, 0) for t in types)
        k, j = g["k"], g["j"]
        diff = abs(k - declared)
        out.append(
            {
                "fakta": "inkomst",
                "person": person.id,
                "roll": person.roll,
                "kalla": kalla,
                "kallnamn": SOURCE_NAMES[kalla],
                "kod": g["p"].kod,
                "forman": g["p"].text,
                "typ": types[0],
                "typnamn": " eller ".join(INCOME_TYPE_SV.get(t, t) for t in types),
                "deklarerat": declared,
                "utbetalt_kontroll": k,
                "utbetalt_jamforelse": j,
                "differens": diff,
                "differens_procent": _pct(diff, declared),
                "andring_procent": _whole_pct(k - j, j),
                "kontrollperiod": str(control),
                "jamforelseperiod": str(compare),
                "har_foregaende": prev is not None,
                "pa_beslutet": sum((prev or {}).get(t, 0) for t in types),
                "foregaende_period": str(foregaende.period) if foregaende is not None else "",
            }
        )
    for (kalla, _), b in by_benefit.items():
        t, p, k, j = b["t"], b["p"], b["k"], b["j"]
        change = _whole_pct(k - j, j)
        if t.threshold == "exakt":
            over = k != j
        elif t.threshold == "procent":
            over = j != 0 and change > t.percent
        else:
            over = False
        if b["nj"] == 0:
            before = f"inget under {compare}"
        elif j == 0:
            before = f"0 kr under {compare} (utbetalningar och återbetalningar tar ut varandra)"
        else:
            before = f"{format_kr(j)} kr under {compare}"
        name = p.text if not p.delforman or p.delforman == p.text else f"{p.text} ({p.delforman})"
        out.append(
            {
                "fakta": "forman",
                "person": person.id,
                "roll": person.roll,
                "kalla": kalla,
                "kallnamn": SOURCE_NAMES[kalla],
                "kod": p.kod,
                "forman": name,
                "behandling": t.behandling,
                "typ": t.types[0] if t.types else "",
                "typnamn": " eller ".join(INCOME_TYPE_SV.get(x, x) for x in t.types) or "ingen inkomsttyp",
                "utbetalt_kontroll": k,
                "utbetalt_jamforelse": j,
                "rader_kontroll": b["nk"],
                "rader_jamforelse": b["nj"],
                "andring_kr": k - j,
                "andring_procent": change,
                "troskel": t.threshold,
                "troskel_procent": t.percent,
                "troskel_text": {"exakt": "varje skillnad", "jamfor_inte": "jämförs inte"}.get(
                    t.threshold, f"mer än {t.percent} procent"
                ),
                "over_troskel": over,
                "jamforelse_text": before,
                "mappning": t.source,
                "kontrollperiod": str(control),
                "jamforelseperiod": str(compare),
            }
        )
    return out


def _whole_pct(change: int, base: int) -> int:
    """The change as whole percent of the base, rounded half up; 0 when there is no base."""
    if base == 0:
        return 0
    return int((Decimal(abs(change)) * 100 / abs(base)).to_integral_value(ROUND_HALF_UP))


STUDIEHJALP = "Studiehjälp"  # CSN's support tree (Person/Studiehjalp), as the reader names it


def _studiehjalp(
    who: Mapping[str, Any], data: PersonAgencyData, period: Month, params: Mapping[str, Any], use_prelim: bool
) -> dict[str, Any] | None:
    """The seasonal check: in the application month given, was studiehjälp paid before and after the summer."""
    month = int(params.get("studiehjalp_ansokningsmanad", 0))
    if not month or period.month != month or not data.source("CSN").answered:
        return None
    before = Month.of(period.year, int(params["studiehjalp_utbetald_manad"]))
    after = Month.of(period.year, int(params["studiehjalp_forvantad_manad"]))
    paid = {
        _month(p.datum)
        for p in data.source("CSN").payments
        if p.text == STUDIEHJALP and p.netto > 0 and (use_prelim or not p.preliminar)
    }
    return {
        "fakta": "studiehjalp",
        **who,
        "kalla": "CSN",
        "utbetald_fore": before in paid,
        "utbetald_efter": after in paid,
        "fore_manad": str(before),
        "efter_manad": str(after),
    }


def cost_facts(trace: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The costs as computed (from the trace): applied, the kommun's cap, counted, approved or not."""
    out = []
    for entry in trace:
        details = entry.get("detaljer")
        posts = details.get("kostnader") if details else None
        if not posts:  # most entries: a rule that records no costs
            continue
        for post in posts:
            for line in post.get("rader", []) or []:
                if line.get("andrahand"):
                    out.append(
                        {
                            "fakta": "andrahand",
                            "kalla": "berakning",
                            "belopp": int(line["belopp"]),
                            "samtycke": bool(line.get("samtycke")),
                            "sarskilda_skal": bool(line.get("sarskilda_skal")),
                            "motivering": str(line.get("motivering") or ""),
                            "raknas": bool(line.get("raknas")),
                        }
                    )
            if "tak" not in post:
                continue
            out.append(
                {
                    "fakta": "kostnad",
                    "kalla": "berakning",
                    "typ": post["typ"],
                    "text": post["text"],
                    "ansokt": int(post["ansokt"]),
                    "tak": int(post["tak"]),
                    "raknat": int(post["belopp"]),
                    "over_tak": int(post["ansokt"]) > int(post["tak"]),
                    "godkand": bool(post.get("godkand")),
                    "motivering": str(post.get("motivering") or ""),
                    "riktlinje": str(post.get("riktlinje") or ""),
                    "kommun": str(post.get("kommun") or ""),
                }
            )
    return out
