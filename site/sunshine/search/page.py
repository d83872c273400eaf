"""What the search page shows around its hits: the region searched in and its sub-regions
(the region facet), and the synonym groups a query is read with.

They change a few times a year, and reading them cost the page three queries of its own. They
are remembered per worker with the versions of the region tree and of the search settings
(one query a request, see pagecache.memo), as plain values the page cannot change.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import NamedTuple

from sunshine.pagecache import memo
from sunshine.regions import services as regions
from sunshine.search import synonyms


class Area(NamedTuple):
    code: str
    name: str


def data_version() -> Hashable:
    """The versions of what this module remembers; read before any of it (one query)."""
    return memo.versions([regions.TREE, synonyms.SCOPE])


def area(code: str, version: Hashable) -> tuple[Area | None, list[Area]]:
    """The region of this code and its children, in code order; no region and no children
    for a code of no region."""

    def compute() -> tuple[Area | None, list[Area]]:
        try:
            place = regions.get_region(code)
        except regions.RegionNotFound:
            return None, []
        return (Area(place.code, place.name),
                [Area(c.code, c.name) for c in regions.children_of(place.code)])

    return memo.remember("search-area", code, version, compute)


def synonym_groups(version: Hashable) -> dict[str, list[str]]:
    """Each word (lowercased) → the other words of its group (see search.synonyms)."""
    return memo.remember("search-synonyms", None, version, synonyms.groups_by_word)
