"""CSV for spreadsheets: a BOM first, and no cell a spreadsheet would run as a formula."""

from __future__ import annotations

from flask import Flask

from sunshine.records.export import csv_download, csv_lines, csv_response, csv_text, safe_cell


def test_cells_that_look_like_formulas_are_quoted() -> None:
    for text in ("=1+1", "+86", "-5", "@SUM(A1)", "\tx", "\rx", "\nx", "|cmd", "%0A"):
        assert safe_cell(text) == "'" + text
    assert [safe_cell(v) for v in ("示范", "12.5%", None, 3)] == ["示范", "12.5%", "", "3"]


def test_lines_start_with_the_bom_and_the_header() -> None:
    lines = list(csv_lines(["名称", "金额"], [["示范村道", "=2"], ["饮水, 工程", 5]]))
    assert lines == ["\ufeff名称,金额\r\n", "示范村道,'=2\r\n", '"饮水, 工程",5\r\n']


def test_a_small_table_is_one_download() -> None:
    text = csv_text(["名称"], [["=1"]])
    assert text == "\ufeff名称\r\n'=1\r\n"
    response = csv_download(text, "sample.csv")
    assert response.mimetype == "text/csv" and response.get_data() == text.encode("utf-8")
    assert response.headers["Content-Disposition"] == "attachment; filename=sample.csv"


def test_the_response_is_streamed_as_an_attachment(app: Flask) -> None:
    with app.test_request_context("/"):
        response = csv_response("sample", ["名称"], lambda: [["示范"]])
    assert response.mimetype == "text/csv" and response.is_streamed
    assert response.headers["Content-Disposition"].startswith('attachment; filename="sample-')
    assert b"".join(response.response).decode("utf-8") == "\ufeff名称\r\n示范\r\n"
