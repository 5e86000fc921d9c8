"""Writing SSBTEK v10 answers from a readable description of a synthetic person.

The fake server answers from a folder of such descriptions, and tests build their answers with
it; every answer it writes validates against the shipped XSDs. A description names, per source,
the records to report (absent source: an answer with no records), an error to report instead
(``fel``), or that the source is left out of the answer (``utelamna``). Dates may be absolute or
relative to the month the question is about (``manad: -1``, ``dag: 25``).
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Mapping
from datetime import date
from typing import Any

from lxml import etree

from engine import Month
from ssbtek._schemas import (
    NS_AF,
    NS_CSN,
    NS_CSN_PERSON,
    NS_CSN_SM,
    NS_CSN_TYPES,
    NS_FORDON,
    NS_SO,
    NS_SOAP,
    NS_SSBT,
    NS_TNS,
)

ORDER = ("AF", "CSN", "FK", "SKV", "SO", "TNS", "MIV")


def _el(parent: Any, ns: str | None, name: str, text: Any = None, **attrs: str) -> Any:
    tag = f"{{{ns}}}{name}" if ns else name
    e = etree.SubElement(parent, tag, attrib=attrs) if parent is not None else etree.Element(tag, attrib=attrs)
    if text is not None:
        e.text = str(text)
    return e


class _Dates:
    def __init__(self, month: Month) -> None:
        self.month = month

    def __call__(self, spec: Any, key: str = "datum") -> date:
        """An absolute date, or {manad: -1, dag: 25} relative to the period month."""
        if isinstance(spec, Mapping):
            if key in spec and spec[key] is not None:
                return self(spec[key], key)
            m = self.month + int(spec.get("manad", 0))
            day = min(int(spec.get("dag", 25)), m.last_day.day)
            return date(m.year, m.month, day)
        if isinstance(spec, date):
            return spec
        return date.fromisoformat(str(spec))


def build_response(
    person: Mapping[str, Any], month: Month, *, korrelationsid: str | None = None, fraga: Any = None
) -> bytes:
    """A SOAP envelope holding ``hamtaBastjanstInformationResponse`` for the described person.

    ``fraga``: the question's element, echoed as the real service does when it is asked to
    (``fraganSkallInkluderasISvaret``). A person file may say ``svarar_med_personnummer`` to make
    every payload name another person, as a faulty service would.
    """
    env = etree.Element(f"{{{NS_SOAP}}}Envelope", nsmap={"soap": NS_SOAP})
    body = _el(env, NS_SOAP, "Body")
    resp = etree.SubElement(body, f"{{{NS_SSBT}}}hamtaBastjanstInformationResponse", nsmap={"ssbt": NS_SSBT})
    if fraga is not None:
        echo = _el(resp, NS_SSBT, "fraga")
        for child in fraga:
            echo.append(copy.deepcopy(child))
    if korrelationsid:
        _el(resp, NS_SSBT, "korrelationsid", korrelationsid)
    data = _el(resp, NS_SSBT, "svarsdata")
    pnr = str(person.get("svarar_med_personnummer") or person["personnummer"])
    sources: Mapping[str, Any] = person.get("kallor") or {}
    dates = _Dates(month)
    for name in ORDER:
        spec = sources.get(name) or {}
        if spec.get("utelamna"):
            continue
        holder = _el(data, NS_SSBT, name)
        if spec.get("fel"):
            err = spec["fel"]
            e = _el(holder, NS_SSBT, "error")
            _el(e, NS_SSBT, "kalla", err.get("kalla", "BT"))
            _el(e, NS_SSBT, "felkod", err.get("felkod", "FEL"))
            _el(e, NS_SSBT, "felmeddelande", err.get("meddelande", "tekniskt fel"))
            continue
        payload = _el(holder, NS_SSBT, "data")
        WRITERS[name](payload, spec, pnr, month, dates)
    return bytes(etree.tostring(env, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _fk(payload: Any, spec: Mapping[str, Any], pnr: str, month: Month, dates: _Dates) -> None:
    states = spec.get("tillstand") or {}
    obj: dict[str, Any] = {
        "utlamnare": [
            {
                "utlamnare": {"kod": k, "namn": n},
                "tillstand": {"kod": states.get(k, "OK"), "beskrivning": states.get(k, "Tillgänglig")},
            }
            for k, n in (("FK", "Försäkringskassan"), ("PM", "Pensionsmyndigheten"))
        ],
        "avvikelser": spec.get("avvikelser") or [],
        "formansinformation": {
            "generellPersoninformation": [{"personnummer": pnr, "skyddad": bool(spec.get("skyddad", False))}],
            "utbetalningsuppgift": [_fk_payment(p, dates) for p in spec.get("utbetalningar") or []],
            "preliminarautbetalningar": [_fk_payment(p, dates) for p in spec.get("preliminara") or []],
        },
        "utbetalningar": [_pm_payment(p, dates) for p in spec.get("pm_utbetalningar") or []],
        "preliminaraUtbetalningar": [_pm_payment(p, dates) for p in spec.get("pm_preliminara") or []],
    }
    _el(payload, NS_SSBT, "lefiJsonSvar", base64.b64encode(json.dumps(obj, ensure_ascii=False).encode()).decode())


def _fk_payment(p: Mapping[str, Any], dates: _Dates) -> dict[str, Any]:
    """A LEFI payment; ``ra`` is a row written as given (how a faulty agency row is made for tests)."""
    if "ra" in p:
        raw: dict[str, Any] = p["ra"]
        return raw
    when = dates(p)
    family = {"id": p["id"]} if "id" in p else {}
    if p.get("beskrivning", p.get("id")) is not None:
        family["beskrivning"] = p.get("beskrivning", p.get("id"))
    out = {
        "typ": 1,
        "foretag": 1001,
        "formansfamilj": family,
        "datum": when.isoformat(),
        "period": {"fran": when.replace(day=1).isoformat(), "till": when.isoformat()},
        "nettobelopp": {"summa": p["netto"], "valuta": "SEK"},
    }
    if p.get("detaljer"):
        out["utbetalningsdetalj"] = [dict(d) for d in p["detaljer"]]
    return out


def _pm_payment(p: Mapping[str, Any], dates: _Dates) -> dict[str, Any]:
    """A Pensionsmyndigheten payment; ``rader`` gives its rows (benefit group, payout benefit, gross part)."""
    if "ra" in p:
        raw: dict[str, Any] = p["ra"]
        return raw
    when = dates(p)
    rows = p.get("rader") or [
        {"kod": p.get("kod", "PM:AP"), "beskrivning": p.get("beskrivning", "Allmän pension"), "belopp": None}
    ]
    out_rows = []
    for r in rows:
        row: dict[str, Any] = {
            "belopp": r.get("belopp") if r.get("belopp") is not None else p.get("brutto", p["netto"])
        }
        if r.get("kod"):
            row["formansgrupp"] = {"kod": r["kod"], "beskrivning": r.get("beskrivning", r["kod"])}
        if r.get("forman"):
            row["utbetalningsforman"] = {"kod": r["forman"], "beskrivning": r.get("forman_beskrivning", r["forman"])}
        if r.get("beloppstyp"):
            row["beloppstyp"] = {"kod": r["beloppstyp"], "beskrivning": r["beloppstyp"]}
        out_rows.append(row)
    return {
        "utbetalningsdatum": when.isoformat(),
        "nettobelopp": p["netto"],
        "bruttobelopp": p.get("brutto", p["netto"]),
        "utbetalningsrader": out_rows,
    }


def _csn(payload: Any, spec: Mapping[str, Any], pnr: str, month: Month, dates: _Dates) -> None:
    root = etree.Element(
        f"{{{NS_CSN}}}CSNSvar",
        schemaVersion="4.0",
        nsmap={"csn": NS_CSN, "p": NS_CSN_PERSON, "g": NS_CSN_TYPES, "sm": NS_CSN_SM},
    )
    res = _el(_el(root, NS_CSN, "GemensamtSvarEkbistand"), NS_CSN, "Resultat")
    _el(res, NS_CSN, "ResultatKod", "0")
    _el(res, NS_CSN, "ResultatText", "OK")
    _el(root, NS_CSN, "GemensamtFragaEkbistand")
    people = _el(root, NS_CSN, "Personer")
    attrs = {"personnummer": pnr[2:], "sekel": pnr[:2]}
    if spec.get("sekretess"):
        attrs["sekretess"] = "J"
    person = _el(people, NS_CSN, "Person", **attrs)
    forms = _el(person, NS_CSN_PERSON, "Studiestodstypforteckning")
    cases = spec.get("arenden") or []
    used = {str(c.get("slag", "Studiemedel")) for c in cases}
    for f, tree in (
        ("studiemedel", "Studiemedel"),
        ("studiehjalp", "Studiehjalp"),
        ("hemutrustningslan", "HemutrustningsLan"),
        ("studiestartsstod", "Studiestartsstod"),
        ("omstallningsstudiestod", "Omstallningsstudiestod"),
    ):
        _el(forms, NS_CSN_TYPES, f, "J" if tree in used else "N")
    for tree, ns in CSN_TREES.items():
        holder = _el(person, NS_CSN_PERSON, tree)
        mine = [c for c in cases if str(c.get("slag", "Studiemedel")) == tree]
        if not mine:
            continue
        arenden = _el(holder, NS_CSN_PERSON, "Arenden")
        for i, case in enumerate(mine, 1):
            _csn_case(arenden, ns, i, case, dates)
    xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    _el(payload, NS_SSBT, "svar", base64.b64encode(xml).decode())


CSN_TREES = {
    "Studiemedel": NS_CSN_SM,
    "Studiehjalp": "http://schema.csn.se/v4.0/studiehjalp",
    "HemutrustningsLan": "http://schema.csn.se/v4.0/hemutrustningslan",
    "Studiestartsstod": "http://schema.csn.se/v4.0/studiestartsstod",
    "Omstallningsstudiestod": "http://schema.csn.se/v4.0/omstallningsstudiestod",
}


def _csn_case(arenden: Any, ns: str, i: int, case: Mapping[str, Any], dates: _Dates) -> None:
    """One ärende; a payment may be unscheduled (``datum: "0"``) and name its weeks (``veckor``)."""
    a = _el(arenden, NS_CSN_PERSON, "Arende", lopnummer=str(i))
    _el(a, ns, "stodform", case.get("stodform", "GRUND"))
    _el(a, ns, "klartext", case.get("klartext", "Studiebidrag"))
    _el(a, ns, "status", case.get("status", "BESLUTAD"))
    _el(a, ns, "soktaTider")
    granted = _el(a, ns, "BeviljadeTider")
    if case.get("beviljad"):
        b = case["beviljad"]
        t = _el(granted, ns, "BeviljadTid")
        _el(t, NS_CSN_TYPES, "starttid", _week(dates(b, "fran")))
        _el(t, NS_CSN_TYPES, "sluttid", _week(dates(b, "till")))
        _el(t, NS_CSN_TYPES, "takt", str(b.get("takt", 100)))
        _el(t, NS_CSN_TYPES, "Beloppen")
        _el(t, NS_CSN_TYPES, "totbelopp", str(b.get("totbelopp", 0)))
    plan = _el(a, ns, "UtbetalningsPlan")
    for u in case.get("utbetalningar") or []:
        ub = _el(plan, ns, "Utbetalning")
        raw = u.get("datum")
        literal = isinstance(raw, str) and raw.isdigit()  # "0": not yet scheduled; or a raw (bad) date
        if "ra_datum" in u:  # written as given, even where CSN's schema refuses it
            _el(ub, NS_CSN_TYPES, "utbetdatum", u["ra_datum"])
        else:
            _el(ub, NS_CSN_TYPES, "utbetdatum", raw if literal else dates(u).strftime("%Y%m%d"))
        _el(ub, NS_CSN_TYPES, "utbetstatus", u.get("status", "Utbetald"))
        weeks = _el(ub, NS_CSN_TYPES, "Utbetaldatider")
        for w in u.get("veckor") or []:
            wt = _el(weeks, NS_CSN_TYPES, "Utbetaldtid")
            _el(wt, NS_CSN_TYPES, "startvecka", _week(dates(w, "fran")))
            _el(wt, NS_CSN_TYPES, "slutvecka", _week(dates(w, "till")))
            _el(wt, NS_CSN_TYPES, "Beloppen")
            _el(wt, NS_CSN_TYPES, "totbelopp", str(w.get("belopp", u.get("belopp") or 0)))
        if u.get("belopp") is not None:  # without it the row lacks its amount, as a faulty answer would
            _el(ub, NS_CSN_TYPES, "totbelopp", str(u["belopp"]))


def _week(d: date) -> str:
    iso = d.isocalendar()
    return f"{iso[0]:04d}{iso[1]:02d}"


def _skv(payload: Any, spec: Mapping[str, Any], pnr: str, month: Month, dates: _Dates) -> None:
    root = etree.Element("SvarBeskattningsuppgifterEnligtSFS2008-975")
    lst = _el(root, None, "PersonuppgiftLista")
    pu = _el(lst, None, "Personuppgift")
    _el(pu, None, "IdentitetsbeteckningFysiskPerson", pnr)
    _el(pu, None, "StatusPersonuppgiftKod", "0")
    for c in spec.get("kapital") or []:
        k = _el(pu, None, "Kapitaluppgift")
        _el(k, None, "Taxeringsar", c["taxeringsar"])
        _el(k, None, "SummaIntakterPaKapital", c.get("intakter", 0))
        _el(k, None, "OverskottPaKapital", c.get("overskott", 0))
    _el(payload, None, "svar", etree.tostring(root, encoding="unicode"))


def _af(payload: Any, spec: Mapping[str, Any], pnr: str, month: Month, dates: _Dates) -> None:
    fraga = _el(payload, NS_AF, "Fraga")
    for name, value in (
        ("OrganisationsnummerForIngivare", "2120000000"),
        ("NamnPaIngivare", "Ekbist testkommun"),
        ("KontonamnForHandlaggare", "system"),
        ("Referensnummer", "ekbist"),
        ("From", (month - 2).first_day.isoformat()),
        ("Tom", month.last_day.isoformat()),
        ("SyfteMedFraga", "Beslut om eller kontroll av ekonomiskt bistånd"),
        ("LagParagraf", "test"),
        ("IdentitetsbeteckningFysiskPerson", pnr),
    ):
        _el(fraga, NS_AF, name, value)
    svar = _el(payload, NS_AF, "Svar")
    _el(svar, NS_AF, "Schemaversion", "2")
    _el(svar, NS_AF, "Referensnummer", "ekbist")
    _el(svar, NS_AF, "LagParagraf", "test")
    _el(svar, NS_AF, "IdentitetsbeteckningFysiskPerson", pnr)
    if spec.get("sekretess"):
        _el(svar, NS_AF, "Sekretessmarkering", "true")
    if "arbetssokande" in spec:  # without it: AF has no record of the person
        info = _el(svar, NS_AF, "ArbetssokandeInfo")
        _el(info, NS_AF, "Arbetssokande", "true" if spec["arbetssokande"] else "false")
        if spec.get("registrerad"):
            _el(info, NS_AF, "ArbetssokandeRegistrerad", dates(spec["registrerad"]).isoformat())
        if spec.get("avaktualiserad"):
            _el(info, NS_AF, "ArbetssokandeAvaktualiserad", dates(spec["avaktualiserad"]).isoformat())
        rapport = _el(info, NS_AF, "AktivetetsRapportDatum")
        _el(rapport, NS_AF, "AktivitetsRapportMeddelande", "")
    _el(svar, NS_AF, "StatusSokandeinformationKod", "0")
    _el(
        svar,
        NS_AF,
        "StatusSokandeinformationKodText",
        "Frågan har behandlats normalt och ett giltigt svar har returnerats.",
    )


def _so(payload: Any, spec: Mapping[str, Any], pnr: str, month: Month, dates: _Dates) -> None:
    for name, value in (
        ("OrganisationsnummerIngivare", "2120000000"),
        ("NamnIngivare", "Ekbist testkommun"),
        ("KontonamnHandlaggare", "system"),
        ("Referensnummer", "ekbist"),
        ("From", (month - 2).first_day.isoformat()),
        ("Tom", month.last_day.isoformat()),
        ("Syfte", "Beslut om eller kontroll av ekonomiskt bistånd"),
        ("Paragraf", "test"),
        ("IdentificationNumber", pnr),
    ):
        _el(payload, NS_SO, name, value)
    lst = _el(payload, NS_SO, "ArbetsloshetsersattningLista")
    for kassa in spec.get("a_kassor") or []:
        k = _el(lst, NS_SO, "Arbetsloshetsersattning")
        _el(k, NS_SO, "SvarandeOrganisation", kassa.get("namn", "A-kassan"))
        _el(k, NS_SO, "StatusSvarandeOrganisation", kassa.get("status", "0"))
        for u in kassa.get("utbetalningar") or []:
            when = dates(u) if "ra_datum" not in u else date(2000, 1, 1)
            e = _el(k, NS_SO, "Utbetalningar")
            _el(e, NS_SO, "Utbetalningsdatum", u.get("ra_datum") or when.isoformat())  # ra_datum: as given
            _el(e, NS_SO, "NettoEfterSkatt", u["netto"])
            _el(e, NS_SO, "NettoEfterAvdrag", u.get("netto_efter_avdrag", u["netto"]))
            _el(e, NS_SO, "Ersattningsdagar", u.get("dagar", 20))
            _el(e, NS_SO, "AvserFrom", when.replace(day=1).isoformat())
            _el(e, NS_SO, "AvserTom", when.isoformat())
        for a in kassa.get("avstangningar") or []:
            e = _el(k, NS_SO, "Avstangningar")
            _el(e, NS_SO, "AvstangdFrom", dates(a, "fran").isoformat())
            _el(e, NS_SO, "AvstangdTom", dates(a, "till").isoformat())


def _tns(payload: Any, spec: Mapping[str, Any], pnr: str, month: Month, dates: _Dates) -> None:
    _el(payload, NS_TNS, "resultat", "OK")
    holding = _el(payload, NS_TNS, "fordonsinnehav")
    for v in spec.get("fordon") or []:
        f = _el(holding, NS_FORDON, "fordon")
        for key in ("regnr", "fabrikat", "fordonsar", "fordonsslag", "handelsbeteckning"):
            _el(f, NS_FORDON, key, v.get(key, ""))


def _miv(payload: Any, spec: Mapping[str, Any], pnr: str, month: Month, dates: _Dates) -> None:
    resp = _el(payload, None, "response")
    _el(resp, None, "correlationid", "ekbist")
    _el(resp, None, "personnummer", pnr)
    coll = _el(resp, None, "svarCollection")
    for t in spec.get("tillstand") or []:
        s = _el(coll, None, "svar")
        _el(s, None, "arendeTyp", t.get("arendetyp", "UAT"))
        _el(s, None, "arendeTypNamn", t.get("arendetypnamn", "UPPEHÅLLS- OCH ARBETSTILLSTÅND"))
        _el(s, None, "beslutsKod", t.get("beslutskod", "BEV"))
        _el(s, None, "beslutsTyp", t.get("beslutstyp", "TUT"))
        if t.get("fran"):
            _el(s, None, "fromDatum", dates(t, "fran").isoformat())
        _el(s, None, "giltighetstid", t.get("giltighetstid", "TIDBEGRANSAT"))
        if t.get("till"):
            _el(s, None, "tomDatum", dates(t, "till").isoformat())


# MIV's and SKV's payload elements are unqualified (their schemas set no elementFormDefault).
WRITERS = {"FK": _fk, "CSN": _csn, "SKV": _skv, "AF": _af, "SO": _so, "TNS": _tns, "MIV": _miv}
