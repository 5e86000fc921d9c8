"""Facts for the control rules, built from the application, the agency answers and the calculation.

Each fact is a flat record of one kind (``fakta``) with typed attributes, so that a control's
condition is a comparison of attributes with values, evaluable both by durable-rules and by the
plain reference. Payments are put in months by their payment date; the control period and the
comparison period are months relative to the period applied for (parameters in
``regelverk/kontroll/parametrar.yaml``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from engine._agency import SOURCE_NAMES, SOURCES, Payment, PersonAgencyData
from engine._input import ADULT_ROLES, INCOME_TYPE_SV, Facts
from engine._period import Month
from engine.kontroll._condition import AttrType
from engine.kontroll._model import BenefitMapping

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


class BenefitMapper:
    """An agency's benefit → the contract's income type: by code first, then by its name."""

    def __init__(self, mappings: Sequence[BenefitMapping]) -> None:
        self.by_code: dict[tuple[str, str], str] = {(m.kalla, m.kod): m.typ for m in mappings if m.kod}
        self.by_text: dict[tuple[str, str], str] = {(m.kalla, m.text.casefold()): m.typ for m in mappings if m.text}
        self.default: dict[str, str] = {m.kalla: m.typ for m in mappings if not m.kod and not m.text}

    def typ(self, p: Payment) -> str:
        return (
            self.by_code.get((p.kalla, p.kod))
            or self.by_text.get((p.kalla, p.text.casefold()))
            or self.default.get(p.kalla)
            or "okand"
        )


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
        out.append(
            {"fakta": "identitet", **who, "kalla": "", "skyddad": bool(protected_by), "kallor": ", ".join(protected_by)}
        )
        out.extend(_incomes(person, data, control, compare, use_prelim, mapper))
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
                if p.kod == f"CSN:{st.stodform}" and _month(p.datum) == control and (use_prelim or not p.preliminar)
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


def _incomes(
    person: Any, data: PersonAgencyData, control: Month, compare: Month, use_prelim: bool, mapper: BenefitMapper
) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for kalla in ("FK", "PM", "SO", "CSN"):
        for p in data.source(kalla).payments:
            if p.preliminar and not use_prelim:
                continue
            m = _month(p.datum)
            if m not in (control, compare):
                continue
            typ = mapper.typ(p)
            key = (p.kalla, typ if typ != "okand" else f"okand:{p.kod}")
            g = groups.setdefault(key, {"kalla": p.kalla, "typ": typ, "kod": p.kod, "forman": p.text, "k": 0, "j": 0})
            g["k" if m == control else "j"] += p.netto
    out = []
    for g in groups.values():
        declared = person.income.get(g["typ"], 0) if g["typ"] != "okand" else 0
        k, j = g["k"], g["j"]
        diff = abs(k - declared)
        out.append(
            {
                "fakta": "inkomst",
                "person": person.id,
                "roll": person.roll,
                "kalla": g["kalla"],
                "kallnamn": SOURCE_NAMES[g["kalla"]],
                "kod": g["kod"],
                "forman": g["forman"],
                "typ": g["typ"],
                "typnamn": INCOME_TYPE_SV.get(g["typ"], "okänd inkomsttyp"),
                "deklarerat": declared,
                "utbetalt_kontroll": k,
                "utbetalt_jamforelse": j,
                "differens": diff,
                "differens_procent": _pct(diff, declared),
                "andring_procent": _pct(k - j, j) if k and j else 0.0,
                "kontrollperiod": str(control),
                "jamforelseperiod": str(compare),
            }
        )
    return out


def cost_facts(trace: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The costs as computed (from the trace): applied, the kommun's cap, counted, approved or not."""
    out = []
    for entry in trace:
        for post in (entry.get("detaljer") or {}).get("kostnader", []) or []:
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
