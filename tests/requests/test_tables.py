"""Answer files as tables: a CSV is text (UTF-8, or GBK/GB18030 stored as UTF-8) without
formulas; an XLSX is a ZIP workbook without macros, external links, connections, controls or
embedded objects, and no bomb. Both are downloads with their own content type."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from sqlalchemy import select

from sunshine.extensions import db
from sunshine.requests import files, filetypes, handling
from sunshine.requests.models import Outcome
from tests.requests.conftest import file
from tests.requests.tables import MACRO_MAIN, workbook
from tests.requests.test_files import _answer, _get, _rows, _stored, pdf

pytestmark = pytest.mark.postgres

TABLE = "村,项目,金额（元）\r\n第一村,道路硬化,48486.00\r\n第二村,\"饮水,工程\",-\r\n"
BOM = b"\xef\xbb\xbf"


def _clean(data: bytes, name: str = "表.csv") -> filetypes.Clean:
    return filetypes.clean_file(data, name)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_a_csv_table_is_stored_as_utf8_whatever_the_office_sent(app, encoding) -> None:
    clean = _clean(TABLE.encode(encoding))
    assert (clean.content_type, clean.extension) == ("text/csv", "csv")
    assert clean.data == BOM + TABLE.encode()


def test_characters_only_gb18030_has_survive(app) -> None:
    text = "姓,名\r\n𠀀,䶮\r\n"  # outside GBK: GB18030's four-byte sequences
    assert _clean(text.encode("gb18030")).data == BOM + text.encode()


@pytest.mark.parametrize("cell", ["-", "-5", "+86 13900000000", "  -3.5", "- 备注", "a=b",
                                  "e-mail", "1+1"])
def test_signs_before_numbers_are_not_formulas(app, cell) -> None:
    assert _clean(f"项目,备注\r\n道路,{cell}\r\n".encode()).extension == "csv"


@pytest.mark.parametrize(("data", "message"), [
    ('项目,金额\r\n道路,"=HYPERLINK(""http://x.example"",""点"")"\r\n'.encode(), "第 2 行第 2 列"),
    (b"a,b\r\n@SUM(A1:A2),1\r\n", "公式"),
    (b"a,b\r\n1,+cmd|' /C calc'!A0\r\n", "公式"),
    (b"a,b\r\n1,\t=1+1\r\n", "公式"),
    ("a,b\r\n1,-无\r\n".encode(), "公式"),
    (b"a,b\r\n1,\x00\x01\x02\r\n", "不是文本"),
    (b"\x89\xff\xfe\x00binary\x80\x81", "不是文本"),
    ("a,b\r\n\x1b[31m红\r\n".encode(), "不是文本"),
    ('a,b\r\n"没有配对的引号,1\r\n'.encode(), "格式不正确"),
    (b'a,b\r\n"x"y,1\r\n', "格式不正确"),
    (b"  \r\n\r\n", "没有内容"),
    (BOM, "没有内容"),
    ("a,b\r\n".encode("utf-16"), "不是文本"),
])
def test_a_csv_that_is_no_clean_text_table_is_refused(app, data, message) -> None:
    with pytest.raises(filetypes.AttachmentError, match=message):
        _clean(data)


def test_text_is_a_table_only_when_its_name_says_so(app) -> None:
    for name in ("表.txt", "表.pdf", "表", "表.csv.exe"):
        with pytest.raises(filetypes.AttachmentError, match="只能上传"):
            _clean(TABLE.encode(), name)
    assert _clean(TABLE.encode(), "表.CSV ").extension == "csv"


def test_a_huge_cell_is_refused_not_a_crash(app) -> None:
    with pytest.raises(filetypes.AttachmentError, match="格式不正确"):
        _clean(b'a\r\n"' + b"x" * 200_000 + b'"\r\n')


def test_a_workbook_is_stored_as_it_came(app) -> None:
    data = workbook()
    clean = _clean(data, "资金.xlsx")
    assert (clean.data, clean.content_type, clean.extension) == (data, filetypes.XLSX, "xlsx")
    # The bytes decide, whatever the name says.
    assert _clean(data, "资金.csv").extension == "xlsx"
    assert filetypes.clean_name("资金.csv", "xlsx") == "资金.xlsx"


@pytest.mark.parametrize(("data", "message"), [
    (workbook({"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0 macro"}, MACRO_MAIN), "含有宏"),
    (workbook({"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0 macro"}), "含有宏"),
    (workbook(main=MACRO_MAIN), "含有宏"),
    (workbook({"XL/VBAPROJECT.BIN": b"x"}), "含有宏"),
    (workbook({"xl/macrosheets/sheet1.xml": b"<xm/>"}), "含有宏"),
    (workbook({"xl/externalLinks/externalLink1.xml": b"<externalLink/>",
               "xl/externalLinks/_rels/externalLink1.xml.rels": b"<r/>"}), "外部链接"),
    (workbook({"xl/connections.xml": b"<connections/>"}), "外部数据连接"),
    (workbook({"xl/activeX/activeX1.xml": b"<ax/>"}), "ActiveX"),
    (workbook({"xl/embeddings/oleObject1.bin": b"\xd0\xcf\x11\xe0"}), "嵌入的对象"),
    (workbook(without=("xl/workbook.xml",)), "只能上传"),
    (workbook(without=("[Content_Types].xml",)), "只能上传"),
    (workbook({"word/document.xml": b"<w/>"}, without=("xl/workbook.xml",)), "只能上传"),
    (workbook()[:200], "只能上传"),
    (b"PK\x03\x04" + b"\x00" * 100, "只能上传"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, "旧版 Office"),
])
def test_a_workbook_that_could_run_or_reach_out_is_refused(app, data, message) -> None:
    with pytest.raises(filetypes.AttachmentError, match=message):
        _clean(data, "资金.xlsx")


def test_a_zip_bomb_is_refused_by_what_it_unpacks_to(app, monkeypatch) -> None:
    bomb = workbook({"xl/worksheets/sheet2.xml": b"0" * 2_000_000})
    assert len(bomb) < 20_000
    monkeypatch.setattr(filetypes, "UNZIPPED_MAX_BYTES", 1_000_000)
    with pytest.raises(filetypes.AttachmentError, match="解压后太大"):
        _clean(bomb, "资金.xlsx")
    monkeypatch.setattr(filetypes, "ZIP_MAX_MEMBERS", 4)
    with pytest.raises(filetypes.AttachmentError, match="解压后太大"):
        _clean(workbook(), "资金.xlsx")


def test_an_encrypted_part_is_refused(app) -> None:
    data = bytearray(workbook())
    # Set the "encrypted" flag of every entry, local and central.
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            data[start + offset] |= 0x1
            start += 4
    with pytest.raises(filetypes.AttachmentError, match="只能上传"):
        _clean(bytes(data), "资金.xlsx")


def test_broken_workbooks_are_refused_never_a_crash(app) -> None:
    good = workbook({"xl/worksheets/sheet2.xml": bytes(range(256)) * 20})
    rng = random.Random(7)
    outcomes = set()
    for _ in range(400):
        data = bytearray(good)
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(4, len(data))] = rng.randrange(256)
        try:
            outcomes.add(_clean(bytes(data), "资金.xlsx").extension)
        except filetypes.AttachmentError:
            outcomes.add("refused")
    assert "refused" in outcomes


def test_answer_tables_are_downloads_with_their_content_type(app, client, regions, users,
                                                            client_for) -> None:
    info, _ = file(now=None)
    staff = client_for("staff-county")
    done = _answer(staff, info, [(TABLE.encode("gbk"), "支出明细.csv", True),
                                 (workbook(), "资金表.xlsx", True)])
    assert done.status_code == 302, done.get_data(as_text=True)
    table, book = _rows()
    assert (table.name, table.content_type, table.kind) == ("支出明细.csv", "text/csv", "CSV 表格")
    assert (book.name, book.content_type, book.kind) == ("资金表.xlsx", filetypes.XLSX,
                                                         "Excel 表格")
    assert _stored(app) == {table.stored, book.stored}
    page = client.get(f"/requests/{info.id}").get_data(as_text=True)
    assert "CSV 表格" in page and "Excel 表格" in page
    got = _get(client, f"/requests/{info.id}/files/{table.id}/支出明细.csv")
    assert got.status_code == 200 and got.data == BOM + TABLE.encode()
    assert got.headers["Content-Type"] == "text/csv; charset=utf-8"
    got = _get(client, f"/requests/{info.id}/files/{book.id}/资金表.xlsx")
    assert got.status_code == 200 and got.data == workbook()
    assert got.headers["Content-Type"] == filetypes.XLSX
    for one in (table, book):
        got = _get(client, f"/requests/{info.id}/files/{one.id}/{one.name}")
        assert got.headers["Content-Disposition"].startswith("attachment;")
        assert got.headers["X-Content-Type-Options"] == "nosniff"
        assert got.headers["Content-Security-Policy"] == "sandbox"
    api = client.get(f"/api/v1/requests/{info.id}").get_json()
    assert [f["content_type"] for f in api["files"]] == ["text/csv", filetypes.XLSX]


def test_markup_in_a_csv_is_only_a_cell_of_a_download(app, client, regions, users) -> None:
    info, _ = file(now=None)
    markup = b"<html><script>alert(1)</script></html>\r\n"
    handling.answer(info, users["county"], handling.Answer(Outcome.DISCLOSED, "open", "见附件"),
                    uploads=[files.Upload("表.csv", markup, True)])
    row = _rows()[0]
    got = _get(client, f"/requests/{info.id}/files/{row.id}/表.csv")
    assert got.data == BOM + markup and got.mimetype == "text/csv"
    assert got.headers["Content-Disposition"].startswith("attachment;")


def test_a_refused_workbook_names_the_reason_at_its_slot(app, regions, users,
                                                         client_for) -> None:
    info, _ = file(now=None)
    staff = client_for("staff-county")
    macro = workbook({"xl/vbaProject.bin": b"x"}, MACRO_MAIN)
    refused = _answer(staff, info, [(pdf(), "答复.pdf", True), (macro, "资金表.xlsm", False)])
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "含有宏" in page
    assert 'id="answer-disclosed-file_2-error"' in page
    assert _rows() == [] and _stored(app) == set()


def test_the_demo_table_reads_back_as_its_rows(app) -> None:
    from sunshine.requests.demo import spending_table

    clean = _clean(spending_table(7), "支出.csv")
    rows = clean.data.decode("utf-8-sig").splitlines()
    assert rows[0] == "村,项目,金额（元）,拨付日期" and len(rows) == 4


def test_an_xlsx_through_the_service_keeps_every_byte(app, regions, users) -> None:
    info, _ = file(now=None)
    data = workbook()
    handling.answer(info, users["county"], handling.Answer(Outcome.DISCLOSED, "open", "见附件"),
                    uploads=[files.Upload("资金.xlsx", data, False)])
    row = db.session.scalar(select(files.RequestFile))
    assert row is not None and row.size == len(data)
    assert (Path(app.config["UPLOAD_DIR"]) / files.FOLDER / row.stored).read_bytes() == data
