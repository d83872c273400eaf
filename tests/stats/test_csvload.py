"""Worker processes read their pieces of a file as bytes and count the lines of the others:
the records and line numbers they see are exactly those of ``logical_lines``, whatever the
quotes, line endings, byte order mark or piece size."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sunshine.importing import BadFile
from sunshine.stats import csvload

FIELD = st.one_of(
    st.text(alphabet="ab,\"\r\n 张\u2028", max_size=6),
    st.sampled_from(["", "x", '"q"', '"a,b"', '"multi\nline"', '"x\r\ny"', "\r", "韦金雀"]))
LINE_END = st.sampled_from(["\n", "\r\n", "\r"])


def _pieced(path: Path, after: int) -> list[tuple[int, str]]:
    out = []
    for first, data in csvload.pieces(path):
        batch = csvload.piece_batch(path, first, data, after)
        out.extend(zip(batch.numbers, batch.texts, strict=True))
    return out


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(st.tuples(st.lists(FIELD, min_size=1, max_size=4), LINE_END),
                     max_size=12),
       bom=st.booleans(), last_end=st.booleans(), piece=st.integers(1, 40),
       after=st.integers(0, 3))
def test_pieces_give_the_records_of_logical_lines(tmp_path_factory, rows, bom, last_end, piece,
                                                  after) -> None:
    text = "".join(",".join(fields) + end for fields, end in rows)
    if not last_end:
        text = text.rstrip("\r\n")
    path = tmp_path_factory.mktemp("pieces") / "f.csv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
    expected = [(n, line) for n, line in csvload.logical_lines(path) if n > after]
    old = csvload.PIECE_BYTES
    csvload.PIECE_BYTES = piece
    try:
        assert _pieced(path, after) == expected
    finally:
        csvload.PIECE_BYTES = old


def test_undecodable_bytes_name_their_line(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(csvload, "PIECE_BYTES", 8)
    path = tmp_path / "bad.csv"
    path.write_bytes(b"a,b\n1,2\n3,4\n\xff\xfe,5\n")
    with pytest.raises(BadFile, match="第 4 行附近：不是 UTF-8"):
        _pieced(path, 1)
    with pytest.raises(BadFile, match="不是 UTF-8"):  # (text decoding reads ahead: "near")
        list(csvload.logical_lines(path))
