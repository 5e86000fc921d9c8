"""What the OpenAPI document says beyond the code: the contract's fields, examples, response shapes.

The field texts are the contract's (``../shared/kontrakt.md``), in Swedish, attached to the schemas
FastAPI generates from the engine's models; the request examples are the bundled ``exempel/``
applications; the responses are described by small models of the result's top level.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

CONTRACT_FIELDS: dict[str, dict[str, str]] = {
    "Ansokan": {
        "period": "månaden som söks, ÅÅÅÅ-MM",
        "kommun": "fyrsiffrig kommunkod; för kommunens riktlinjer (t.ex. tak för boendekostnad)",
        "hushall": "personerna i ansökan",
        "gemensamt_hushall_antal": (
            "antal personer i hushållsgemenskapen när sökanden bor med andra utan att vara sambo med dem"
        ),
        "inkomster": "inkomster per person och slag, netto i hela kronor för månaden",
        "kostnader": "kostnader per slag i hela kronor för månaden",
        "historik": "månader i följd med försörjningsstöd före perioden, och första månaden i jobbstimulansfönstret",
        "undantag_begransning": "nämndens undantag från begränsningen för hushåll med fler än tre barn (från 2027)",
        "foregaende": "hushållets föregående beslutade beräkning, som kontrollerna jämför med",
    },
    "Person": {
        "id": "personens id i ansökan",
        "roll": "sokande (exakt en), medsokande (högst en, gift eller sambo med sökanden) eller barn",
        "fodd": "födelsedatum ÅÅÅÅ-MM-DD (tas ur personnumret när det saknas)",
        "historik": "en vuxens egen historik för jobbstimulansen",
        "lunch_utanfor_hemmet": "barn 0–6 år som äter lunch på förskolan fem dagar i veckan",
        "skolgang": "barn och skolungdomar i grundskola eller gymnasieskola",
        "boendeandel": "andel av månaden barnet bor i hushållet, 0 < x ≤ 1 (t.ex. 0,5 vid växelvis boende)",
        "personnummer": "ÅÅÅÅMMDDNNNK (eller med bindestreck); visas aldrig helt",
    },
    "Inkomst": {
        "person": "personens id",
        "typ": "inkomstslag: lon, sjukpenning, sjukersattning, aktivitetsersattning, foraldrapenning, barnbidrag, "
        "underhallsstod, bostadsbidrag, bostadstillagg, a_kassa, aktivitetsstod, etableringsersattning, "
        "studiemedel, pension, fritidskort, ovrig",
        "belopp": "netto i hela kronor för månaden",
        "hittills_i_ar": "barns arbetsinkomst tidigare under kalenderåret",
    },
    "Kostnad": {
        "typ": "kostnadsslag: boende, hushallsel, arbetsresor, hemforsakring, fackavgift, a_kassa_avgift",
        "belopp": "hela kronor för månaden",
    },
}


def describe(components: dict[str, Any]) -> None:
    """Put the contract's texts on the generated schemas' properties."""
    for model, fields in CONTRACT_FIELDS.items():
        props = (components.get(model) or {}).get("properties") or {}
        for name, text in fields.items():
            if name in props:
                props[name].setdefault("description", text)


def examples() -> dict[str, Any]:
    """The bundled example applications, as OpenAPI request examples (none when not found)."""
    import engine
    from ekbist._documents import read_document

    folder = Path(engine.default_root()) / "exempel"
    out: dict[str, Any] = {}
    for path in sorted(folder.glob("*.yaml")):
        try:
            doc = read_document(str(path))
        except engine.InputError:
            continue
        out[path.stem] = {"summary": path.stem.replace("-", " "), "value": {"ansokan": doc.ansokan}}
    return out


class Regelverk(BaseModel):
    id: str
    version: str
    hash: str = Field(description="sha256 över alla regelfiler")


class Avvikelse(BaseModel):
    model_config = ConfigDict(extra="allow")
    kod: str
    allvarlighet: str
    person: str | None = None
    kalla: str = ""
    meddelande: str
    lagrum: str = ""
    rubrik: str | None = None


class Resultat(BaseModel):
    """The computed application (the contract's output), with its trace."""

    model_config = ConfigDict(extra="allow")
    period: str
    riksnorm: int
    skaliga_kostnader: int
    behov: int
    inkomster: int
    forsorjningsstod: int
    overskott: int
    regelverk: Regelverk
    avvikelser: list[Avvikelse]
    trace: list[dict[str, Any]]
    kontrafaktiskt: dict[str, Any] | None = Field(None, description="vad som skulle ändra resultatet")
    forsorjningshinder_forslag: dict[str, Any] | None = Field(None, description="förslag per vuxen, aldrig ett beslut")


class Kvitto(BaseModel):
    position: int
    innehall: str
    huvud: str


class Registrerat(BaseModel):
    """What ``POST /v1/beslut`` answers: keep the receipt outside the database."""

    model_config = ConfigDict(extra="allow")
    id: str
    seq: int
    tidpunkt: str
    hash: str
    kvitto: Kvitto
    regelverk: Regelverk
    forsorjningsstod: int
