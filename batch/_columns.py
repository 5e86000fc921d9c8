"""From an Arrow table of applications to numpy columns of households and persons.

Two things happen here, both over whole columns:

* **A sound filter.** :func:`columns` marks the households the columnar path may compute: each passes
  every check the contract's validation makes (types are the schema's; ranges, choices, one sökande,
  unique ids, ages, incomes for persons that exist, ...), and states nothing that produces a control
  fact other than the calculation's (aktivitetskrav, sjukdom, rehabilitering, vistelse, a previous
  decision, a dwelling let second-hand, a caseworker's assessment of a cost). The filter only needs
  to be *sound*: a household it lets through must be one the engine accepts; anything in doubt goes
  to the engine's own path, which validates it in full and names the field if it is refused.
* **The columns the formulas read**: per household (period, costs by type, history, ...) and per
  person (age, role, incomes by type, ...), with each person's household as an index.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from engine._input import COST_TYPES, INCOME_TYPES, ROLES
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
from engine._personnummer import problem as personnummer_problem

OCCUPATIONS = ("anstallning", "arbetsmarknadspolitiskt_program", "sfi", "annan_insats", "formedlingsinsatser_deltid")
FORHOJD_SKAL = ("sarskilda_skal", "synnerliga_skal")
# Fields whose presence gives the control rules a fact of their own: such households are computed
# by the engine itself, which builds those facts (engine.kontroll._facts).
FACT_FIELDS_PERSON = ("aktivitetskrav", "rehabilitering", "sjukdom", "vistas_lagligt")
ADULT_ONLY = ("sysselsattning", "aktivitetskrav", "rehabilitering", "sjukdom", "riktalder_uppnadd", "foraldraledig")
# A share with more decimals than this is computed by the engine: binary floating point would
# not carry it exactly enough to round as the engine's decimals do.
SHARE_DECIMALS = 1_000_000


@dataclass
class Columns:
    """Households ``0..n-1`` and their persons, as numpy arrays."""

    n: int
    month: np.ndarray  # month index (year * 12 + month - 1)
    kommun: np.ndarray  # str ('' when none)
    gemensamt: np.ndarray  # gemensamt_hushall_antal, 0 when absent
    history_months: np.ndarray  # household historik: months in a row, -1 when absent
    history_start: np.ndarray  # household historik: jobbstimulans start (month index), -1 when absent
    undantag: np.ndarray  # bool
    undantag_text: np.ndarray  # str
    costs: np.ndarray  # (n, len(COST_TYPES)) int64
    housing_lines: np.ndarray  # number of boende lines
    # persons
    hh: np.ndarray  # household of each person
    roll: np.ndarray  # str
    alder: np.ndarray  # int64
    boendeandel: np.ndarray  # float64 (1 when absent)
    lunch: np.ndarray  # bool
    skolgang: np.ndarray  # bool
    p_history_months: np.ndarray  # -1 when the person has no historik
    p_history_start: np.ndarray  # -1 when none
    forhojd_belopp: np.ndarray  # int64
    forhojd_skal: np.ndarray  # str
    forhojd_text: np.ndarray  # str
    sysselsattning_timmar: np.ndarray  # int64 (hours of occupations other than part-time förmedlingsinsatser)
    formedling_deltid: np.ndarray  # bool
    riktalder: np.ndarray  # bool
    forman_procent: np.ndarray  # int64
    foraldraledig: np.ndarray  # bool
    skolar: np.ndarray  # int64, -1 when unknown
    income: np.ndarray  # (persons, len(INCOME_TYPES)) int64
    income_so_far: np.ndarray  # (persons, len(INCOME_TYPES)) int64
    sums: dict[tuple[Any, ...], np.ndarray] = field(default_factory=dict)  # income_sum and cost_sum, kept

    @property
    def persons(self) -> int:
        return len(self.hh)

    def permute(self, rows: np.ndarray) -> Columns:
        """The households ``rows`` in that order, their persons grouped in the same order."""
        new_index = np.full(self.n, -1, dtype=np.int64)
        new_index[rows] = np.arange(len(rows))
        owner = new_index[self.hh]
        keep = np.flatnonzero(owner >= 0)
        order = keep[np.argsort(owner[keep], kind="stable")]
        return self._select(rows, order, owner[order])

    def slice(self, a: int, b: int) -> Columns:
        """Households ``a..b-1`` of columns whose persons are in household order (as after permute)."""
        pa_, pb = np.searchsorted(self.hh, [a, b])
        return self._select(slice(a, b), slice(int(pa_), int(pb)), self.hh[pa_:pb] - a)

    def _select(self, rows: Any, persons: Any, hh: np.ndarray) -> Columns:
        return _View(self, rows, persons, hh)

    def income_sum(self, codes: tuple[int, ...], so_far: bool = False) -> np.ndarray:
        """Each person's incomes of the types ``codes`` (positions in INCOME_TYPES), as floats."""
        key = ("inkomst", codes, so_far)
        found = self.sums.get(key)
        if found is None:
            matrix = self.income_so_far if so_far else self.income
            found = self.sums[key] = matrix[:, list(codes)].sum(axis=1).astype(np.float64)
        return found

    def cost_sum(self, codes: tuple[int, ...]) -> np.ndarray:
        """Each household's costs of the types ``codes`` (positions in COST_TYPES), as floats."""
        key = ("kostnad", codes)
        found = self.sums.get(key)
        if found is None:
            found = self.sums[key] = self.costs[:, list(codes)].sum(axis=1).astype(np.float64)
        return found


class _View(Columns):
    """Some households of other columns (and their persons), each column taken from the source
    only when a formula reads it: a month's formulas read a few of the columns, and copying every
    one for every month was a good part of the columnar path's time."""

    _src: Columns
    _rows: np.ndarray
    _persons: np.ndarray

    def __init__(self, src: Columns, rows: Any, persons: Any, hh: np.ndarray) -> None:
        if isinstance(src, _View):  # a view of a view: the indices composed, the source read once
            rows, persons, src = src._rows[rows], src._persons[persons], src._src
        elif isinstance(rows, slice) or isinstance(persons, slice):
            rows, persons = np.arange(src.n)[rows], np.arange(src.persons)[persons]
        self._src, self._rows, self._persons = src, rows, persons
        self.n = len(rows)
        self.hh = hh
        self.sums = {}

    def __getattr__(self, name: str) -> Any:
        # only for a column not yet taken: it is taken from the source and kept
        if name in _HH_FIELDS:
            value = getattr(self._src, name)[self._rows]
        elif name in _P_FIELDS:
            value = getattr(self._src, name)[self._persons]
        else:
            raise AttributeError(name)
        setattr(self, name, value)
        return value

    def income_sum(self, codes: tuple[int, ...], so_far: bool = False) -> np.ndarray:
        key = ("inkomst", codes, so_far)
        if key not in self.sums:
            self.sums[key] = self._src.income_sum(codes, so_far)[self._persons]
        return self.sums[key]

    def cost_sum(self, codes: tuple[int, ...]) -> np.ndarray:
        key = ("kostnad", codes)
        if key not in self.sums:
            self.sums[key] = self._src.cost_sum(codes)[self._rows]
        return self.sums[key]


_HH_FIELDS = (
    "month",
    "kommun",
    "gemensamt",
    "history_months",
    "history_start",
    "undantag",
    "undantag_text",
    "costs",
    "housing_lines",
)
_P_FIELDS = (
    "roll",
    "alder",
    "boendeandel",
    "lunch",
    "skolgang",
    "p_history_months",
    "p_history_start",
    "forhojd_belopp",
    "forhojd_skal",
    "forhojd_text",
    "sysselsattning_timmar",
    "formedling_deltid",
    "riktalder",
    "forman_procent",
    "foraldraledig",
    "skolar",
    "income",
    "income_so_far",
)


def _np(arr: pa.Array | pa.ChunkedArray, fill: Any) -> np.ndarray:
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return np.asarray(arr.fill_null(fill).to_numpy(zero_copy_only=False))


def _isnull(arr: pa.Array) -> np.ndarray:
    if not arr.null_count:
        return np.zeros(len(arr), dtype=bool)
    return np.asarray(arr.is_null().to_numpy(zero_copy_only=False))


def _valid(arr: pa.Array) -> np.ndarray:
    return ~_isnull(arr)


def _utf8(arr: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(start, length) of each text in the bytes of a string array, and those bytes, read from the
    array's own buffers: checks of fixed-width texts and of single bytes then run in numpy instead of a
    regular expression per text (they decide exactly what the expressions decided)."""
    if arr.type not in (pa.string(), pa.large_string()):
        arr = arr.cast(pa.string())
    n = len(arr)
    if not n:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.uint8)
    _, off_buf, data_buf = arr.buffers()
    width = 4 if arr.type == pa.string() else 8
    offsets = np.frombuffer(off_buf, dtype=np.int32 if width == 4 else np.int64, count=n + 1, offset=arr.offset * width)
    base, end = int(offsets[0]), int(offsets[-1])
    data = np.frombuffer(data_buf, dtype=np.uint8)[base:end] if data_buf is not None else np.zeros(0, np.uint8)
    starts = offsets[:-1].astype(np.int64) - base
    return starts, np.diff(offsets).astype(np.int64), data


def _fixed(arr: pa.Array, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Each present text of exactly ``width`` bytes as a row of bytes (zeros elsewhere), and where
    that holds."""
    starts, lengths, data = _utf8(arr)
    ok = _valid(arr) & (lengths == width)
    out = np.zeros((len(arr), width), dtype=np.uint8)
    rows = np.flatnonzero(ok)
    if len(rows):
        out[rows] = data[starts[rows, None] + np.arange(width)]
    return out, ok


def _digits(d: np.ndarray, positions: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(the number the ASCII digits at ``positions`` spell, whether all of them are digits)."""
    number = np.zeros(len(d), dtype=np.int64)
    digits = np.ones(len(d), dtype=bool)
    for i in positions:
        digit = d[:, i] - np.uint8(48)  # a byte below '0' wraps past 9
        digits &= digit <= 9
        number = number * 10 + digit
    return number, digits


def _only_digits(arr: pa.Array, width: int) -> np.ndarray:
    """Where a present text is exactly ``width`` ASCII digits (the expression ^\\d{width}$)."""
    d, ok = _fixed(arr, width)
    out: np.ndarray = ok & ((d - np.uint8(48)) <= 9).all(axis=1)
    return out


_DASH = ord("-")


def _control(arr: pa.Array) -> np.ndarray:
    """Where a present text holds a control character other than tab and newline. In UTF-8 those are
    single bytes that no multi-byte character contains, so the bytes decide."""
    starts, lengths, data = _utf8(arr)
    # the bad bytes' positions (almost always none), each found in its text: memory stays one byte per
    # byte of text, whatever the texts' length
    where = np.flatnonzero(((data < 0x20) & (data != 9) & (data != 10)) | (data == 0x7F))
    hit = np.zeros(len(arr), dtype=bool)
    if len(where):
        order = np.argsort(starts, kind="stable")
        row = order[np.searchsorted(starts[order], where, side="right") - 1]
        inside = where < starts[row] + lengths[row]
        hit[row[inside]] = True
    out: np.ndarray = _valid(arr) & hit
    return out


def _bad_text(arr: pa.Array, min_len: int, max_len: int) -> np.ndarray:
    """True where a present text is too short, too long or holds control characters."""
    length = _np(pc.utf8_length(arr), min_len)
    out: np.ndarray = (length < min_len) | (length > max_len) | _control(arr)
    return out


def _not_in(arr: pa.Array, choices: tuple[str, ...]) -> np.ndarray:
    """True where a present value is not one of ``choices``."""
    out: np.ndarray = _valid(arr) & ~_np(pc.is_in(arr, value_set=pa.array(choices)), False)
    return out


def _out_of(arr: pa.Array, lo: int, hi: int) -> np.ndarray:
    v = _np(arr, lo)
    return (v < lo) | (v > hi)


def _month_index(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(month index, bad) for texts that must be YYYY-MM (^\\d{4}-(0[1-9]|1[0-2])$) with a year from 1."""
    d, ok = _fixed(arr, 7)
    year, year_digits = _digits(d, (0, 1, 2, 3))
    month, month_digits = _digits(d, (5, 6))
    ok &= year_digits & month_digits & (d[:, 4] == _DASH) & (month >= 1) & (month <= 12) & (year >= 1)
    index = np.where(ok, year * 12 + month - 1, -1).astype(np.int64)
    return index, ~ok & _valid(arr)


_DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def _dates(arr: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(year, month, day, valid) for texts that must be real dates YYYY-MM-DD (year from 1);
    1970-01-01 where the text is not one."""
    d, ok = _fixed(arr, 10)
    y, y_ok = _digits(d, (0, 1, 2, 3))
    m, m_ok = _digits(d, (5, 6))
    day, d_ok = _digits(d, (8, 9))
    ok &= y_ok & m_ok & d_ok & (d[:, 4] == _DASH) & (d[:, 7] == _DASH)
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    month_ok = (m >= 1) & (m <= 12)
    days = np.where(month_ok, _DAYS[np.clip(m, 1, 12) - 1], 0) + ((m == 2) & leap)
    ok &= (y >= 1) & month_ok & (day >= 1) & (day <= days)
    return np.where(ok, y, 1970), np.where(ok, m, 1), np.where(ok, day, 1), ok


def _lists(arr: pa.Array) -> tuple[np.ndarray, pa.Array, np.ndarray]:
    """(owner of each item, the items, length per row; 0 where the list is absent)."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    lengths = _np(pc.list_value_length(arr), 0).astype(np.int64)
    owner = np.repeat(np.arange(len(arr)), lengths)
    items = pc.list_flatten(arr)
    return owner, items, lengths


def _amounts(arr: pa.Array) -> np.ndarray:
    """Whole kronor as floats (0 where absent), bounded so that sums of them stay exact; an amount out
    of the contract's range marks its household already, whatever it is summed to here."""
    return np.clip(_np(arr, 0).astype(np.float64), -(2.0**52), 2.0**52)


def _sum_by(owner: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """The sum of ``values`` per owner ``0..n-1`` (a float; exact for the amounts of a household)."""
    if not len(owner):
        return np.zeros(n)
    return np.bincount(owner, weights=values, minlength=n)


def _any_by(owner: np.ndarray, bad: np.ndarray, n: int) -> np.ndarray:
    if not len(owner):
        return np.zeros(n, dtype=bool)
    return np.bincount(owner, weights=bad.astype(np.float64), minlength=n) > 0


def _struct_field(arr: pa.Array, name: str) -> pa.Array:
    """A struct's field, null where the struct itself is null (as Arrow's kernel gives it, unlike
    ``StructArray.field``, which shows the child's values)."""
    return pc.struct_field(arr, name)


def columns(table: pa.Table) -> tuple[Columns, np.ndarray]:
    """The columns of every household, and which ones the columnar path may compute (see module doc)."""
    n = table.num_rows
    bad = np.zeros(n, dtype=bool)

    def col(name: str) -> pa.Array:
        c = table.column(name)
        if isinstance(c, pa.ChunkedArray):
            return c.chunk(0) if c.num_chunks == 1 else c.combine_chunks()
        return c

    period = col("period")
    month, bad_month = _month_index(period)
    bad |= bad_month | _isnull(period)
    kommun = col("kommun")
    bad |= _valid(kommun) & ~_only_digits(kommun, 4)
    gem = col("gemensamt_hushall_antal")
    bad |= _valid(gem) & _out_of(gem, 1, MAX_HUSHALLSGEMENSKAP)
    bad |= _valid(col("foregaende"))
    und = col("undantag_begransning")
    und_text = _struct_field(und, "motivering")
    bad |= _valid(und) & (_isnull(und_text) | _bad_text(und_text, 1, MAX_MOTIVERING))
    hist = col("historik")
    h_months = _struct_field(hist, "manader_i_folj")
    h_start_idx, bad_start = _month_index(_struct_field(hist, "jobbstimulans_start"))
    bad |= _valid(h_months) & _out_of(h_months, 0, MAX_MANADER_I_FOLJ)
    bad |= bad_start | ((h_start_idx >= 0) & (h_start_idx > month))
    has_hist = _valid(hist)
    history_months = np.where(has_hist, _np(h_months, 0), -1)

    # -- persons
    hh_list = col("hushall")
    hh, persons, sizes = _lists(hh_list)
    bad |= (sizes < 1) | (sizes > MAX_PERSONER)
    p_bad = np.zeros(len(hh), dtype=bool)

    def pf(name: str) -> pa.Array:
        return pc.struct_field(persons, name)

    pid, roll, fodd = pf("id"), pf("roll"), pf("fodd")
    p_bad |= _isnull(pid) | _isnull(roll) | _isnull(fodd) | _isnull(persons)
    p_bad |= _bad_text(pid, 1, 64) | _not_in(roll, ROLES)
    roll_np = _choice(roll, ROLES)
    is_child = roll_np == "barn"
    # birth date and age on the first day of the period
    by, bm, bd, date_ok = _dates(fodd)
    p_bad |= ~date_ok
    pmonth = month[hh]
    py, pm = pmonth // 12, pmonth % 12 + 1
    age = py - by - ((pm < bm) | ((pm == bm) & (bd > 1)))
    age = np.maximum(age, 0)
    # born after the last day of the period: the engine refuses
    born_after = (by > py) | ((by == py) & (bm > pm))
    p_bad |= born_after | (age > MAX_ALDER)
    p_bad |= is_child & (age >= 21)
    skolgang = _np(pf("skolgang"), False).astype(bool)
    p_bad |= is_child & (age >= 18) & ~skolgang
    # history
    ph = pf("historik")
    ph_months = _struct_field(ph, "manader_i_folj")
    ph_start, ph_bad_start = _month_index(_struct_field(ph, "jobbstimulans_start"))
    ph_has = _valid(ph)
    p_bad |= is_child & ph_has
    p_bad |= _valid(ph_months) & _out_of(ph_months, 0, MAX_MANADER_I_FOLJ)
    p_bad |= ph_bad_start | ((ph_start >= 0) & (ph_start > pmonth))
    # share of the month a child lives in the household
    share = pf("boendeandel")
    share_np = _np(share, 1.0).astype(np.float64)
    has_share = _valid(share)
    scaled = share_np * SHARE_DECIMALS
    p_bad |= has_share & (~is_child | (share_np <= 0) | (share_np > 1) | (scaled != np.rint(scaled)))
    # personal costs above the norm
    fn = pf("forhojd_norm")
    fn_belopp, fn_skal, fn_text = (_struct_field(fn, k) for k in ("belopp", "skal", "motivering"))
    has_fn = _valid(fn)
    p_bad |= has_fn & (_isnull(fn_belopp) | _isnull(fn_text))
    p_bad |= _valid(fn_belopp) & _out_of(fn_belopp, 1, MAX_BELOPP)
    p_bad |= _not_in(fn_skal, FORHOJD_SKAL) | (_valid(fn_text) & _bad_text(fn_text, 1, MAX_MOTIVERING))
    # personnummer: checked by the engine's own function, one by one (they are few in a batch)
    pnr = pf("personnummer")
    pnr_np = _np(pnr, "").astype(object)
    has_pnr = _valid(pnr)
    # only the 12-digit form: another form is the same number written otherwise, and the engine
    # (which reads every form) must decide whether two persons share it
    p_bad |= has_pnr & ~_only_digits(pnr, 12)
    for i in np.flatnonzero(has_pnr):
        if personnummer_problem(str(pnr_np[i])):
            p_bad[i] = True
    # adults only / children only
    for name in ADULT_ONLY:
        p_bad |= is_child & _valid(pf(name))
    for name in FACT_FIELDS_PERSON:
        p_bad |= _valid(pf(name))
    skolar = pf("skolar_avslutade")
    p_bad |= _valid(skolar) & (~is_child | _out_of(skolar, 0, 13))
    procent = pf("forman_omfattning_procent")
    p_bad |= _valid(procent) & _out_of(procent, 0, 100)
    # occupations
    s_owner, s_items, s_len = _lists(pf("sysselsattning"))
    s_typ, s_hours = pc.struct_field(s_items, "typ"), pc.struct_field(s_items, "timmar_per_vecka")
    s_bad = _isnull(s_items) | _isnull(s_typ) | _isnull(s_hours) | _not_in(s_typ, OCCUPATIONS)
    s_bad |= _valid(s_hours) & _out_of(s_hours, 0, 168)
    p_bad |= _any_by(s_owner, s_bad, len(hh)) | (s_len > MAX_SYSSELSATTNINGAR)
    s_hours_np = _np(s_hours, 0).astype(np.int64)
    deltid = _code(s_typ, OCCUPATIONS) == OCCUPATIONS.index("formedlingsinsatser_deltid")
    hours = np.bincount(s_owner, weights=np.where(deltid, 0, s_hours_np), minlength=len(hh)).astype(np.int64)
    formedling = _any_by(s_owner, deltid, len(hh))

    # one sökande, at most one medsökande; ids and personnummer unique in the household
    sok = np.bincount(hh, weights=(roll_np == "sokande"), minlength=n)
    med = np.bincount(hh, weights=(roll_np == "medsokande"), minlength=n)
    bad |= (sok != 1) | (med > 1)
    # a person is (household, code of the id): whole numbers, compared without building strings
    ids = pc.dictionary_encode(pid.fill_null(""))
    width = max(1, len(ids.dictionary))
    person_key = hh * width + _np(ids.indices, 0).astype(np.int64)
    bad |= _duplicates(person_key, hh, n)
    if has_pnr.any():
        numbers = pc.dictionary_encode(pnr.filter(pa.array(has_pnr)))
        pnr_key = hh[has_pnr] * max(1, len(numbers.dictionary)) + _np(numbers.indices, 0).astype(np.int64)
        bad |= _duplicates(pnr_key, hh[has_pnr], n)
    # a household of more persons than its hushållsgemenskap
    gem_np = _np(gem, 0).astype(np.int64)
    bad |= (gem_np > 0) & (gem_np < sizes)

    # -- incomes
    i_owner, incomes, i_len = _lists(col("inkomster"))
    bad |= i_len > MAX_INKOMSTRADER
    i_person, i_typ, i_belopp, i_so_far = (
        pc.struct_field(incomes, k) for k in ("person", "typ", "belopp", "hittills_i_ar")
    )
    i_bad = _isnull(incomes) | _isnull(i_person) | _isnull(i_typ) | _isnull(i_belopp)
    i_bad |= _not_in(i_typ, INCOME_TYPES) | (_valid(i_belopp) & _out_of(i_belopp, 0, MAX_BELOPP))
    i_bad |= _bad_text(i_person, 1, 64)
    i_code = _code(i_typ, INCOME_TYPES)
    i_bad |= _valid(i_so_far) & (_out_of(i_so_far, 0, 12 * MAX_BELOPP) | (i_code != INCOME_TYPES.index("lon")))
    # the income's person: the same (household, id code) among the persons
    i_id = _np(pc.index_in(i_person, value_set=ids.dictionary), -1).astype(np.int64)
    order = np.argsort(person_key, kind="stable")
    sorted_keys = person_key[order]
    i_key = i_owner * width + i_id
    pos = np.minimum(np.searchsorted(sorted_keys, i_key), max(0, len(sorted_keys) - 1))
    found = (i_id >= 0) & (len(sorted_keys) > 0) & (sorted_keys[pos] == i_key if len(sorted_keys) else False)
    where = np.where(found, order[pos] if len(order) else -1, -1)
    i_bad |= where < 0
    bad |= _any_by(i_owner, i_bad, n)
    # -- costs
    c_owner, costs_items, c_len = _lists(col("kostnader"))
    bad |= c_len > MAX_KOSTNADSRADER
    c_typ, c_belopp = pc.struct_field(costs_items, "typ"), pc.struct_field(costs_items, "belopp")
    c_bad = _isnull(costs_items) | _isnull(c_typ) | _isnull(c_belopp) | _not_in(c_typ, COST_TYPES)
    c_bad |= _valid(c_belopp) & _out_of(c_belopp, 0, MAX_BELOPP)
    for name in ("andrahand", "skalighetsbedomning", "motivering"):
        c_bad |= _valid(pc.struct_field(costs_items, name))
    bad |= _any_by(c_owner, c_bad, n)
    # the sum of the application's amounts
    i_amount, c_amount = _amounts(i_belopp), _amounts(c_belopp)
    fn_amount = np.where(has_fn, _amounts(fn_belopp), 0)
    total = _sum_by(i_owner, i_amount, n) + _sum_by(c_owner, c_amount, n) + _sum_by(hh, fn_amount, n)
    bad |= total > MAX_SUMMA

    bad |= _any_by(hh, p_bad, n)

    # -- the columns, for every household (those marked bad are never read)
    ok_i = (where >= 0) & (i_code >= 0)
    cells = where[ok_i] * len(INCOME_TYPES) + i_code[ok_i]
    shape = (len(hh), len(INCOME_TYPES))
    income = _sum_by(cells, i_amount[ok_i], shape[0] * shape[1]).astype(np.int64).reshape(shape)
    so_far = _sum_by(cells, _amounts(i_so_far)[ok_i], shape[0] * shape[1]).astype(np.int64).reshape(shape)
    c_code = _code(c_typ, COST_TYPES)
    ok_c = c_code >= 0
    cells = c_owner[ok_c] * len(COST_TYPES) + c_code[ok_c]
    cost = _sum_by(cells, c_amount[ok_c], n * len(COST_TYPES)).astype(np.int64).reshape(n, len(COST_TYPES))
    housing_lines = np.bincount(c_owner[c_code == 0], minlength=n) if len(c_owner) else np.zeros(n, dtype=np.int64)
    out = Columns(
        n=n,
        month=month,
        kommun=_text(kommun),
        gemensamt=gem_np,
        history_months=history_months.astype(np.int64),
        history_start=h_start_idx,
        undantag=_valid(und),
        undantag_text=_text(und_text),
        costs=cost,
        housing_lines=housing_lines.astype(np.int64),
        hh=hh,
        roll=roll_np,
        alder=age.astype(np.int64),
        boendeandel=share_np,
        lunch=_np(pf("lunch_utanfor_hemmet"), False).astype(bool),
        skolgang=skolgang,
        p_history_months=np.where(ph_has, _np(ph_months, 0), -1).astype(np.int64),
        p_history_start=ph_start,
        forhojd_belopp=np.where(has_fn, _np(fn_belopp, 0), 0).astype(np.int64),
        forhojd_skal=_choice(fn_skal, FORHOJD_SKAL),
        forhojd_text=_text(fn_text),
        sysselsattning_timmar=hours,
        formedling_deltid=formedling,
        riktalder=_np(pf("riktalder_uppnadd"), False).astype(bool),
        forman_procent=_np(procent, 0).astype(np.int64),
        foraldraledig=_np(pf("foraldraledig"), False).astype(bool),
        skolar=_np(skolar, -1).astype(np.int64),
        income=income,
        income_so_far=so_far,
    )
    return out, ~bad


def _code(arr: pa.Array, vocabulary: tuple[str, ...]) -> np.ndarray:
    """The position of each value in ``vocabulary`` (-1 where absent or not in it)."""
    return _np(pc.index_in(arr, value_set=pa.array(vocabulary)), -1).astype(np.int64)


def _choice(arr: pa.Array, vocabulary: tuple[str, ...]) -> np.ndarray:
    """A text column of few values as a numpy text array ('' where absent), built from codes."""
    out: np.ndarray = np.array([*vocabulary, ""])[_code(arr, vocabulary)]
    return out


def _text(arr: pa.Array) -> np.ndarray:
    """A free text column as an object array ('' where absent); mostly absent, so cheap."""
    if arr.null_count == len(arr):
        return np.full(len(arr), "", dtype=object)
    return np.asarray(arr.fill_null("").to_numpy(zero_copy_only=False), dtype=object)


def _duplicates(keys: np.ndarray, owner: np.ndarray, n: int) -> np.ndarray:
    """Households where a key occurs twice."""
    if not len(keys):
        return np.zeros(n, dtype=bool)
    order = np.argsort(keys, kind="stable")
    k = keys[order]
    same = np.zeros(len(k), dtype=bool)
    same[1:] = k[1:] == k[:-1]
    same[:-1] |= same[1:]
    dup = np.zeros(len(k), dtype=bool)
    dup[order] = same
    return _any_by(owner, dup, n)
