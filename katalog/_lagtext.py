"""The statute text in ``lagtext/``, paragraph by paragraph and wording by wording.

The files are Riksdagen's consolidated SFS text as published: a paragraph starts a block with
``7 d §``; a wording that enters into or goes out of force carries ``/Träder i kraft I:ÅÅÅÅ-MM-DD/``
or ``/Upphör att gälla U:ÅÅÅÅ-MM-DD/`` beside its number; headings stand alone before the
paragraph they head. Reading those markers lets the catalogue show the wording in force on the
day a rule applied, not today's. ``lagtext/register.yaml`` says which statute and chapter each
file holds; a file it does not name is not read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError

from engine._rulefiles import SFS
from engine._yamlsrc import YamlSyntaxError, load_yaml

REGISTER = "register.yaml"
_PARAGRAPH = re.compile(r"^(\d+(?: [a-z])?) §(?!§)\s*(.*)$")
_IN_FORCE = re.compile(r"/Träder i kraft I:(\d{4}-\d{2}-\d{2})/")
_OUT_OF_FORCE = re.compile(r"/(?:Upphör att gälla|Ny beteckning ([^/]*?)) U:(\d{4}-\d{2}-\d{2})/")
_HEADING_MARK = re.compile(r"^/Rubriken (?:träder i kraft|upphör att gälla) [IU]:\d{4}-\d{2}-\d{2}/$")
_CHAPTER = re.compile(r"^\d+ kap\. ")
_LIST_ITEM = re.compile(r"^(?:\d+\.|[a-z]\)|-)\s")
_CONTINUES = re.compile(r"(?:[.,:;]|\boch|\beller)$")
_MAX_FILE = 2_000_000  # bytes: the statute files are some tens of kilobytes


class LagtextError(Exception):
    """``lagtext/`` or its register cannot be read; the message names the file."""


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    fil: Annotated[StrictStr, Field(pattern=r"^[a-z0-9][a-z0-9.-]*\.txt$")]
    sfs: Annotated[StrictStr, Field(pattern=SFS)]
    kapitel: int | None = None
    kalla: StrictStr


class _Register(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    texter: list[_Entry]


@dataclass(frozen=True)
class Block:
    """One paragraph block as printed: running text (line breaks joined) or a table kept as set."""

    text: str
    tabell: bool = False


@dataclass(frozen=True)
class Wording:
    """One wording of one paragraph, with the span in which it is in force."""

    sfs: str
    kapitel: int | None
    paragraf: str
    rubrik: str | None
    stycken: tuple[Block, ...]
    giltig_fran: date | None
    giltig_till: date | None
    fil: str
    rad: int
    kalla: str
    anmarkning: str | None = None  # "Får ny beteckning 12 kap. 7 c § den 2027-01-01."

    @property
    def label(self) -> str:
        chapter = f"{self.kapitel} kap. " if self.kapitel is not None else ""
        return f"{chapter}{self.paragraf} §"

    @property
    def anchor(self) -> str:
        """A stable HTML id: ``lag-2025-400-12-7d-2027-01-01``."""
        start = self.giltig_fran.isoformat() if self.giltig_fran else "0"
        chapter = f"{self.kapitel}-" if self.kapitel is not None else ""
        return f"lag-{self.sfs.replace(':', '-')}-{chapter}{_key(self.paragraf)}-{start}"

    def covers(self, day: date) -> bool:
        return (self.giltig_fran is None or self.giltig_fran <= day) and (
            self.giltig_till is None or day <= self.giltig_till
        )

    def overlaps(self, start: date, end: date | None) -> bool:
        return (self.giltig_till is None or start <= self.giltig_till) and (
            end is None or self.giltig_fran is None or self.giltig_fran <= end
        )


def _key(paragraf: str) -> str:
    return paragraf.replace(" ", "").lower()


@dataclass
class Lagtexter:
    """Every wording of every paragraph in ``lagtext/``, looked up by statute, chapter and paragraph."""

    katalog: Path | None
    _by_key: dict[tuple[str, int | None, str], list[Wording]] = field(default_factory=dict)
    _order: dict[tuple[str, int | None], list[str]] = field(default_factory=dict)
    sources: dict[tuple[str, int | None], str] = field(default_factory=dict)

    def has(self, sfs: str, kapitel: int | None) -> bool:
        return (sfs, kapitel) in self._order

    def paragraphs(self, sfs: str, kapitel: int | None, paragraf: str) -> list[str]:
        """The paragraph keys a reference covers: ``7``, ``4 a–4 c``, ``6 och 7``, ``1, 8 och 9``."""
        order = self._order.get((sfs, kapitel), [])
        out: list[str] = []
        for part in re.split(r",\s*|\s+och\s+", paragraf.strip()):
            if not part:
                continue
            ends = re.split(r"\s*[–-]\s*", part)
            if len(ends) == 2 and _key(ends[0]) in order and _key(ends[1]) in order:
                i, j = order.index(_key(ends[0])), order.index(_key(ends[1]))
                out.extend(order[i : j + 1])
            else:
                out.append(_key(part))
        return out

    def wordings(self, sfs: str, kapitel: int | None, paragraf: str) -> list[Wording]:
        """Every wording of the paragraphs a reference covers, oldest first."""
        out: list[Wording] = []
        for key in self.paragraphs(sfs, kapitel, paragraf):
            out.extend(self._by_key.get((sfs, kapitel, key), []))
        return out

    def in_force(self, sfs: str, kapitel: int | None, paragraf: str, day: date) -> list[Wording]:
        return [w for w in self.wordings(sfs, kapitel, paragraf) if w.covers(day)]

    def add(self, entry: _Entry, text: str) -> None:
        where = (entry.sfs, entry.kapitel)
        self.sources[where] = entry.kalla
        order = self._order.setdefault(where, [])
        for w in parse(text, entry.fil, entry.sfs, entry.kapitel, entry.kalla):
            key = _key(w.paragraf)
            if key not in order:
                order.append(key)
            self._by_key.setdefault((entry.sfs, entry.kapitel, key), []).append(w)


def load_lagtexter(directory: Path | None) -> Lagtexter:
    """Read ``directory`` (a ``lagtext/``) through its register; an absent directory reads as empty."""
    texts = Lagtexter(directory)
    if directory is None or not (directory / REGISTER).is_file():
        return texts
    reg_path = directory / REGISTER
    try:
        doc = load_yaml(reg_path.read_text(encoding="utf-8"), f"lagtext/{REGISTER}")
        register = _Register.model_validate(doc.data)
    except (OSError, UnicodeDecodeError, YamlSyntaxError, ValidationError) as exc:
        raise LagtextError(f"lagtext/{REGISTER} kan inte läsas: {_first_line(exc)}") from None
    for entry in register.texter:
        path = directory / entry.fil
        try:
            if path.stat().st_size > _MAX_FILE:
                raise LagtextError(f"lagtext/{entry.fil} är större än {_MAX_FILE} byte")
            texts.add(entry, path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise LagtextError(f"lagtext/{entry.fil} kan inte läsas: {_first_line(exc)}") from None
    return texts


def _first_line(exc: Exception) -> str:
    return str(getattr(exc, "message", None) or exc).splitlines()[0]


@dataclass
class _Raw:
    lines: list[str]
    start: int  # 1-based line of the first line


def _blocks(text: str) -> list[_Raw]:
    out: list[_Raw] = []
    current: list[str] = []
    start = 1
    for n, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            if not current:
                start = n
            current.append(line.rstrip())
        elif current:
            out.append(_Raw(current, start))
            current = []
    if current:
        out.append(_Raw(current, start))
    return out


def _is_heading(raw: _Raw) -> bool:
    first, last = raw.lines[0], raw.lines[-1]
    if _HEADING_MARK.match(first.strip()):
        return True
    return (
        len(raw.lines) <= 3
        and not any("\t" in line for line in raw.lines)
        and not _LIST_ITEM.match(first)
        and not _CONTINUES.search(last.strip())
    )


def _heading_text(raw: _Raw) -> str:
    lines = [line.strip() for line in raw.lines if not _HEADING_MARK.match(line.strip())]
    return " ".join(" ".join(lines).split())


def _block(lines: Sequence[str]) -> Block:
    if any("\t" in line for line in lines):
        return Block("\n".join(line.expandtabs(8).rstrip() for line in lines), tabell=True)
    return Block(" ".join(" ".join(line.strip() for line in lines).split()))


def _merge_tables(blocks: list[Block]) -> list[Block]:
    """A table's rows stand in blocks of their own in the SFS text; shown, they are one table."""
    out: list[Block] = []
    for b in blocks:
        if b.tabell and out and out[-1].tabell:
            out[-1] = Block(out[-1].text + "\n" + b.text, tabell=True)
        else:
            out.append(b)
    return out


def _dates(lines: Iterable[str]) -> tuple[date | None, date | None, str | None, list[str]]:
    """The markers of a paragraph's first lines, a note they make, and the lines without them."""
    start: date | None = None
    end: date | None = None
    note: str | None = None
    rest: list[str] = []
    for line in lines:
        m_in = _IN_FORCE.search(line)
        m_out = _OUT_OF_FORCE.search(line)
        if m_in:
            start = date.fromisoformat(m_in.group(1))
        if m_out:  # "upphör att gälla U:2027-01-01": the last day in force is the day before
            end = date.fromisoformat(m_out.group(2)) - timedelta(days=1)
            if m_out.group(1):
                note = f"Får ny beteckning {m_out.group(1).strip()} den {m_out.group(2)}."
        stripped = _OUT_OF_FORCE.sub("", _IN_FORCE.sub("", line)).strip()
        if stripped:
            rest.append(stripped)
    return start, end, note, rest


def parse(text: str, fil: str, sfs: str, kapitel: int | None, kalla: str) -> list[Wording]:
    """Every paragraph wording in one statute file, in the file's order."""
    blocks = _blocks(text)
    out: list[Wording] = []
    starts = [i for i, b in enumerate(blocks) if _PARAGRAPH.match(b.lines[0])]
    chapter_seen = False
    end_of_text = len(blocks)
    for i, b in enumerate(blocks):  # the text ends where the next chapter's heading begins
        if _CHAPTER.match(b.lines[0]):
            if chapter_seen or (starts and i > starts[0]):
                end_of_text = i
                break
            chapter_seen = True
    starts = [i for i in starts if i < end_of_text]
    for n, i in enumerate(starts):
        nxt = starts[n + 1] if n + 1 < len(starts) else end_of_text
        body = blocks[i:nxt]
        # headings standing before the next paragraph belong to it, not to this one's text
        while len(body) > 1 and nxt < end_of_text and _is_heading(body[-1]):
            body = body[:-1]
        heading_blocks: list[_Raw] = []
        j = i - 1
        while (
            j >= 0
            and (n == 0 or j > starts[n - 1])
            and _is_heading(blocks[j])
            and not _CHAPTER.match(blocks[j].lines[0])
        ):
            heading_blocks.insert(0, blocks[j])
            j -= 1
        m = _PARAGRAPH.match(body[0].lines[0])
        assert m is not None
        paragraf = m.group(1)
        first_lines = [m.group(2), *body[0].lines[1:]]
        # the markers stand on the paragraph's first line and the lines right after it
        marker_count = 1
        while marker_count < len(first_lines) and (
            _IN_FORCE.fullmatch(first_lines[marker_count].strip())
            or _OUT_OF_FORCE.fullmatch(first_lines[marker_count].strip())
        ):
            marker_count += 1
        start, end, note, head = _dates(first_lines[:marker_count])
        lines = head + first_lines[marker_count:]
        stycken = [_block(lines)] if lines else []
        stycken += [_block(b.lines) for b in body[1:]]
        stycken = _merge_tables(stycken)
        rubrik = _heading_text(heading_blocks[-1]) if heading_blocks else None
        if rubrik is None and out and out[-1].paragraf == paragraf:
            rubrik = out[-1].rubrik  # a second wording of the same paragraph keeps the heading
        out.append(Wording(sfs, kapitel, paragraf, rubrik, tuple(stycken), start, end, fil, body[0].start, kalla, note))
    return out
