"""How the index is written to disk: Whoosh's own format, with two costs of a rebuild cut.

- A term found in few documents keeps its postings in the term index itself ("inlined")
  instead of a block of its own in the postings file. Most bigrams that span two words occur in
  one or two documents, and a block costs two pickles, a zlib call and a header each. Whoosh
  has this option but its writer calls a method that does not exist (``set_inline``), so it
  only works with the default, which inlines nothing.
- No length statistics per block (``length_stats``): Whoosh reads each posting's field length
  back to note the shortest and longest document of every block, which only its own
  block-skipping collector uses (``usequality``). The site ranks with its own arrays
  (search.ranking) and runs Whoosh's collector without it.

The segments name this class, so an index written with it is read with it.
"""

from __future__ import annotations

from typing import Any

from whoosh.codec.whoosh3 import W3Codec, W3PostingsWriter

#: Posting lists shorter than this are kept in the term index.
INLINE_LIMIT = 8


class Codec(W3Codec):
    length_stats = False

    def __init__(self) -> None:
        super().__init__(inlinelimit=INLINE_LIMIT)

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> Any:
        return _PostingsWriter(dbfile, blocklimit=self._blocklimit, byteids=byteids,
                               compression=self._compression, inlinelimit=self._inlinelimit)


class _PostingsWriter(W3PostingsWriter):
    def finish_postings(self) -> Any:
        if self.written() or len(self) >= self._inlinelimit:
            return super().finish_postings()
        writer: Any = self  # Whoosh's attributes carry no types
        terminfo = writer._terminfo
        terminfo.add_block(self)
        terminfo.set_inlined(writer._ids, writer._weights, writer._values)
        writer._terminfo = None
        return terminfo
