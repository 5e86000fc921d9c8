"""The contract as an Arrow schema, derived from the engine's own pydantic models.

The batch path reads JSON lines (``pyarrow.json``) and Parquet into Arrow tables with this schema.
It is not written by hand: every field of :class:`engine._input.Ansokan` becomes a column of the
matching Arrow type (strict integers → int64, booleans → bool, texts, dates, months and choices →
string, the share ``boendeandel`` → float64, nested objects → struct, lists → list of struct), so a
field added to the contract reaches the batch path without a second description of it.
"""

from __future__ import annotations

import types
import typing
from datetime import date
from decimal import Decimal
from typing import Any

import pyarrow as pa
from pydantic import BaseModel

from engine._input import Ansokan

ID_FIELD = "id"  # the batch line's own identifier; not part of the application


def _arrow_type(annotation: Any) -> pa.DataType:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _arrow_type(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) != 1:
            raise TypeError(f"fält med flera typer stöds inte i batch: {annotation!r}")
        return _arrow_type(args[0])
    if origin is list:
        return pa.list_(_arrow_type(typing.get_args(annotation)[0]))
    if origin is typing.Literal:
        return pa.string()
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            return pa.struct([pa.field(n, _arrow_type(f.annotation)) for n, f in annotation.model_fields.items()])
        if issubclass(annotation, bool):
            return pa.bool_()
        if issubclass(annotation, int):
            return pa.int64()
        if issubclass(annotation, Decimal | float):
            return pa.float64()
        if issubclass(annotation, str | date):
            return pa.string()
    raise TypeError(f"okänd fälttyp i kontraktet: {annotation!r}")


_TEXT = pa.string()


def application_schema(id_type: pa.DataType | None = _TEXT) -> pa.Schema:
    """The application's columns, with an optional ``id`` column of ``id_type`` first."""
    fields = [pa.field(n, _arrow_type(f.annotation)) for n, f in Ansokan.model_fields.items()]
    if id_type is not None:
        fields.insert(0, pa.field(ID_FIELD, id_type))
    return pa.schema(fields)
