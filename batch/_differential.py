"""The columnar path against the engine, application by application: they must never differ.

Used by the tests (a sample, in CI) and by ``bench/differential.py`` (a million applications).
Each application is computed by the engine; where the columnar path computed it too, the six
amounts must be the same and the engine must find no deviation (the columnar path leaves every
application that could have one to the engine), and an application the engine refuses must never
have been computed by the columnar path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import orjson
import pyarrow as pa

import engine
from batch._chunk import read_tables
from batch._evaluate import Programs, evaluate_table
from batch._schema import ID_FIELD


@dataclass
class Comparison:
    applications: int = 0
    columnar: int = 0
    refused: int = 0
    differences: list[dict[str, Any]] = field(default_factory=list)

    def add(self, other: Comparison) -> None:
        self.applications += other.applications
        self.columnar += other.columnar
        self.refused += other.refused
        self.differences.extend(other.differences[: max(0, 20 - len(self.differences))])


def compare(
    bundle: engine.RuleBundle, apps: Sequence[Mapping[str, Any]], overrides: Mapping[str, Decimal] | None = None
) -> Comparison:
    programs = Programs(bundle, overrides)
    # read as ekbist batch reads a file: JSON lines through the table reader (lines it refuses,
    # or that hold an explicit null, are the engine's)
    lines = [(i, orjson.dumps(a)) for i, a in enumerate(apps)]
    computed_at: dict[int, int] = {}
    amounts: dict[int, list[int]] = {}
    tables, _ = read_tables([x for x in lines if b"null" not in x[1]], pa.string())
    outputs: tuple[str, ...] = tuple(bundle.manifest.utdata)
    for block, table in tables:
        result = evaluate_table(programs, table.drop_columns([ID_FIELD]))
        for j, (i, _) in enumerate(block):
            if result.computed[j]:
                computed_at[i] = j
                amounts[i] = result.amounts[j].tolist()
    out = Comparison(applications=len(apps))
    for i, app in enumerate(apps):
        computed = i in computed_at
        out.columnar += computed
        try:
            result = bundle.calculate(app, overrides=overrides)
            expected: dict[str, Any] | None = {**result.values, "avvikelser": [d["kod"] for d in result.avvikelser]}
        except engine.InputError:
            expected = None
            out.refused += 1
        if not computed:
            continue
        # a row computed column by column has no deviation: the engine must find none either
        got = {**dict(zip(outputs, amounts[i], strict=True)), "avvikelser": []}
        if got != expected:
            out.differences.append({"ansokan": dict(app), "kolumnvis": got, "motorn": expected})
    return out
