"""A household's members, packed into one row of ``household_members``.

Members are only ever read a household at a time (the staff's household page, a notice's
head of household, the names a need must not publish) or counted, so one row per household
holds them all: a province's 5.4 M members are 1.5 M short rows, which SQLite inserts 6×
faster than a row per member with its indexes. Who is registered where is the other half:
``member_id`` maps the keyed hash of each ID number to its household (``models.MemberId``).

A member is packed as its fields joined by U+001F, members by U+001E: names are checked to
hold no control characters, every other field is a number or a masked ID number.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sunshine.stats import vocab
from sunshine.stats.idnumbers import mask_id

FIELD = "\x1f"
MEMBER = "\x1e"


@dataclass(frozen=True)
class Member:
    """One member as staff see it (the ID number only masked)."""

    name: str
    id_masked: str
    relation: int
    sex: int
    birth_year: int
    health: int
    schooling: int
    labour: int
    id_hash: int

    @property
    def relation_label(self) -> str:
        return vocab.RELATIONS[self.relation]

    @property
    def sex_label(self) -> str:
        return vocab.SEXES[self.sex]

    @property
    def health_label(self) -> str:
        return vocab.HEALTH[self.health]

    @property
    def schooling_label(self) -> str:
        return vocab.SCHOOLING[self.schooling]

    @property
    def labour_label(self) -> str:
        return vocab.LABOUR[self.labour]


def pack_one(name: str, id_masked: str, relation: int, sex: int, birth_year: int, health: int,
             schooling: int, labour: int, id_hash: int) -> str:
    return FIELD.join((name, id_masked, str(relation), str(sex), str(birth_year), str(health),
                       str(schooling), str(labour), str(id_hash)))


def pack_household(archive: int, people: Iterable[Sequence[str]], digest: Callable[[str], int]
                   ) -> tuple[tuple[int, int, str], list[tuple[int, int]]]:
    """A household's ``household_members`` row and ``member_id`` rows, from its members as a
    county's export gives them: (name, ID number, relation, health, schooling, labour)."""
    texts, ids = [], []
    for name, number, relation, health, schooling, labour in people:
        id_hash = digest(number)
        ids.append((id_hash, archive))
        texts.append(pack_one(name, mask_id(number), vocab.RELATION_CODES[relation],
                              int(number[16]) % 2, int(number[6:10]), vocab.HEALTH_CODES[health],
                              vocab.SCHOOLING_CODES[schooling], vocab.LABOUR_CODES[labour],
                              id_hash))
    return (archive, len(texts), MEMBER.join(texts)), ids


def unpack(packed: str) -> list[Member]:
    """The members in file order; ``household_members.packed`` → ``Member``s."""
    out = []
    for text in filter(None, packed.split(MEMBER)):
        name, masked, *numbers = text.split(FIELD)
        relation, sex, year, health, schooling, labour, id_hash = map(int, numbers)
        out.append(Member(name, masked, relation, sex, year, health, schooling, labour, id_hash))
    return out


def hashes_of(packed: str) -> list[int]:
    """The ID number hashes of a packed row (to remove them with the household's members)."""
    return [int(text.rsplit(FIELD, 1)[1]) for text in filter(None, packed.split(MEMBER))]


@dataclass
class Packed:
    """A batch of members, packed: per household (in order of first appearance) its first
    line, member count and packed text; per member its ID hash, household and line."""

    households: list[int]
    first_lines: list[int]
    counts: list[int]
    texts: list[str]
    hashes: array
    owners: array
    lines: array

    def rows(self) -> list[tuple[int, int, str]]:
        """Rows of ``household_members`` (household_id, count, packed)."""
        return list(zip(self.households, self.counts, self.texts, strict=True))


def pack(lines: Sequence[int], households: array, hashes: Sequence[int],
         people: list[str]) -> Packed:
    """Group members by household: ``people`` are the members packed one by one
    (``pack_one``), in file order, like ``households`` and ``hashes``. Members of a household
    that are not next to each other in the batch are joined too, in file order."""
    import numpy as np

    starts, ends = (bounds.tolist() for bounds in runs(
        np.frombuffer(households, dtype=np.int64) if len(households) else
        np.zeros(0, dtype=np.int64)))
    return from_runs([households[start] for start in starts], [lines[start] for start in starts],
                     [end - start for start, end in zip(starts, ends, strict=True)],
                     [MEMBER.join(people[start:end]) for start, end in zip(starts, ends,
                                                                          strict=True)],
                     array("q", hashes), households, array("q", lines))


def runs(owners: Any) -> tuple[Any, Any]:
    """Where each run of one household's members starts and ends (numpy arrays), given each
    member's household in batch order (an int64 numpy array)."""
    import numpy as np

    starts = np.flatnonzero(np.diff(owners, prepend=-1))
    return starts, np.append(starts[1:], len(owners)) if len(starts) else starts


def from_runs(households: list[int], first_lines: list[int], counts: list[int],
              texts: list[str], hashes: array, owners: array, lines: array) -> Packed:
    """``Packed`` from runs of members (a household's members next to each other in the
    batch): a household with several runs gets them joined, in file order."""
    if len(set(households)) < len(households):
        slot: dict[int, int] = {}
        runs = list(zip(households, first_lines, counts, texts, strict=True))
        households, first_lines, counts, texts = [], [], [], []
        for household, first, count, text in runs:
            at = slot.setdefault(household, len(households))
            if at == len(households):
                households.append(household)
                first_lines.append(first)
                counts.append(count)
                texts.append(text)
            else:
                counts[at] += count
                texts[at] = merge(texts[at], text)
    return Packed(households, first_lines, counts, texts, hashes, owners, lines)


def merge(earlier: str, later: str) -> str:
    """Two packed texts of one household, in file order."""
    return MEMBER.join(filter(None, (earlier, later)))
