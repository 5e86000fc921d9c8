"""The impact of a change in numbers: how many cases change, by how much, because of what."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from engine._money import format_kr
from jamfor._run import CONTRACT

LABELS = {
    "riksnorm": "riksnorm",
    "skaliga_kostnader": "skäliga kostnader",
    "behov": "behov",
    "inkomster": "inkomster",
    "forsorjningsstod": "försörjningsstöd",
    "overskott": "överskott",
}


class Tally:
    """Accumulates outcomes one at a time (constant memory apart from the largest changes kept)."""

    def __init__(self, keep: int = 10) -> None:
        self.keep = keep
        self.count = 0
        self.changed = 0
        self.refused_a = 0
        self.refused_b = 0
        self.refusal_changed: list[dict[str, Any]] = []
        self.sources: Counter[str] = Counter()
        self.sums = dict.fromkeys(CONTRACT, 0)
        self.mins = dict.fromkeys(CONTRACT, 0)
        self.maxs = dict.fromkeys(CONTRACT, 0)
        self.causes: Counter[tuple[str, str]] = Counter()
        self.largest: list[dict[str, Any]] = []
        self.both = 0  # cases computed on both sides: the sums and means are over these

    def add(self, o: Mapping[str, Any]) -> None:
        self.count += 1
        self.sources[str(o["kalla"])] += 1
        a, b = o.get("a"), o.get("b")
        self.refused_a += a is None
        self.refused_b += b is None
        if (a is None) != (b is None) and len(self.refusal_changed) < self.keep:
            self.refusal_changed.append({"id": o["id"], "fel_a": o.get("fel_a"), "fel_b": o.get("fel_b")})
        if a is None or b is None:
            return
        self.both += 1
        diff = {k: int(b[k]) - int(a[k]) for k in CONTRACT}
        for k, d in diff.items():
            self.sums[k] += d
            self.mins[k] = min(self.mins[k], d)
            self.maxs[k] = max(self.maxs[k], d)
        if any(diff.values()):
            self.changed += 1
            for r in o.get("regler", []):
                self.causes[("regel", r)] += 1
            for n in o.get("normer", []):
                self.causes[("norm", n)] += 1
            self._keep_largest({"id": o["id"], "skillnad": diff, "a": a, "b": b})

    def _keep_largest(self, item: dict[str, Any]) -> None:
        self.largest.append(item)
        self.largest.sort(key=lambda x: (-abs(x["skillnad"]["forsorjningsstod"]), x["id"]))
        del self.largest[self.keep :]

    def result(self) -> dict[str, Any]:
        both = self.both
        stats = {
            k: {
                "summa": self.sums[k],
                "medel": round(self.sums[k] / both, 2) if both else 0,
                "min": self.mins[k],
                "max": self.maxs[k],
            }
            for k in CONTRACT
        }
        return {
            "antal": self.count,
            "beraknade_bada": both,
            "andrade": self.changed,
            "vagrade": {"a": self.refused_a, "b": self.refused_b},
            "summa": {k: self.sums[k] for k in CONTRACT},
            "statistik": stats,
            "storsta": self.largest,
            "vagran_andrad": self.refusal_changed,
            "orsaker": [
                {"typ": t, "id": i, "fall": n} for (t, i), n in sorted(self.causes.items(), key=lambda x: (-x[1], x[0]))
            ],
            "kallor": dict(sorted(self.sources.items())),
        }


def render_text(report: Mapping[str, Any]) -> str:
    a, b = report["a"], report["b"]
    out = [
        "JÄMFÖRELSE AV REGELVERK",
        f"A: {a['kalla']} – {a['id']} version {a['version']} ({a['hash']})",
        f"B: {b['kalla']} – {b['id']} version {b['version']} ({b['hash']})",
        "",
        f"Ändringar ({len(report['andringar'])}):",
    ]
    if report.get("versionsvarning"):
        out.insert(3, f"VARNING: {report['versionsvarning']}")
    out += [f"  {c['text']}" for c in report["andringar"]] or ["  inga"]
    f = report["fall"]
    sources = ", ".join(f"{k} {v}" for k, v in f["kallor"].items()) or "inga"
    out += [
        "",
        f"Fall: {f['antal']} ({sources}); {f['andrade']} får andra belopp; vägras med A {f['vagrade']['a']}, "
        f"med B {f['vagrade']['b']}",
        "",
        f"  {'belopp':20}{'summa':>14}{'medel':>12}{'min':>12}{'max':>12}",
    ]
    for k in CONTRACT:
        s = f["statistik"][k]
        out.append(
            f"  {LABELS[k]:20}{_kr(s['summa']):>14}{_kr(round(s['medel'])):>12}{_kr(s['min']):>12}{_kr(s['max']):>12}"
        )
    if f["storsta"]:
        out += ["", "Största ändringar av försörjningsstödet:"]
        for item in f["storsta"]:
            d = item["skillnad"]["forsorjningsstod"]
            before, after = _kr(item["a"]["forsorjningsstod"]), _kr(item["b"]["forsorjningsstod"])
            out.append(f"  {item['id']}: {before} → {after} ({_signed(d)})")
    if f["orsaker"]:
        out += ["", "Orsaker (regler och belopp som gav andra värden, antal fall):"]
        out += [f"  {c['typ']} {c['id']}: {c['fall']}" for c in f["orsaker"][:20]]
    if f["vagran_andrad"]:
        out += ["", "Fall som vägras på bara en sida:"]
        for item in f["vagran_andrad"]:
            why = item.get("fel_b") or item.get("fel_a")
            side = "B" if item.get("fel_b") else "A"
            out.append(f"  {item['id']}: vägras med {side}: {why}")
    return "\n".join(out) + "\n"


def _kr(v: int) -> str:
    return f"{format_kr(int(v)).replace(chr(0xA0), ' ')} kr"


def _signed(v: int) -> str:
    return ("+" if v > 0 else "") + _kr(v)


def tally(outcomes: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    t = Tally()
    for o in outcomes:
        t.add(o)
    return t.result()
