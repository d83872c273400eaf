"""What an answer's file may be, judged by its bytes: a PDF, a scanned page (JPEG or PNG,
re-encoded without its metadata), or a table as CSV or XLSX.

Binary kinds are known by their signature, never by the name or the browser's content type.
Text has no signature, so a file is read as a CSV table only when its name says so; it must
then be text (UTF-8, or GB18030/GBK as Chinese office software writes it), parse as CSV, and
hold no cell a spreadsheet program would run as a formula. It is stored as UTF-8 with a byte
order mark, which spreadsheet programs need to read Chinese CSV right.

An XLSX is a ZIP archive holding ``[Content_Types].xml`` and ``xl/workbook.xml``, without
macros, links to other workbooks, data connections, embedded objects or controls, and
unpacking to at most ``UNZIPPED_MAX_BYTES`` (a small file that unpacks to gigabytes would stall
whoever opens it). The standard library's zipfile reads enough for these checks: the
workbook's cells are never read, so no spreadsheet library is needed.
"""

from __future__ import annotations

import csv
import io
import lzma
import re
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass

from flask import current_app

from sunshine.requests.services import RequestError
from sunshine.uploads import PhotoRejected, clean_photo

PDF = "application/pdf"
CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: The content type of a stored file, by its extension.
CONTENT_TYPES = {"pdf": PDF, "jpg": "image/jpeg", "png": "image/png", "csv": CSV, "xlsx": XLSX}
#: What each kind of file is called in lists, by content type.
KINDS = {PDF: "PDF", "image/jpeg": "JPEG 图片", "image/png": "PNG 图片", CSV: "CSV 表格",
         XLSX: "Excel 表格"}
#: What the file inputs offer to choose (the bytes decide).
ACCEPT = f"{PDF},.pdf,image/jpeg,image/png,{CSV},.csv,{XLSX},.xlsx"
#: The signatures of the images accepted (scans), checked before any decoder sees the bytes.
IMAGE_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")
ZIP_SIGNATURE = b"PK\x03\x04"
#: An OLE compound file: an old .xls, .doc, or any encrypted Office document.
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: How much an XLSX may unpack to, and how many parts it may hold.
UNZIPPED_MAX_BYTES = 100 * 1024 * 1024
ZIP_MAX_MEMBERS = 10_000
#: How much of ``[Content_Types].xml`` is read (a real one has a few KB).
_TYPES_MAX_BYTES = 256 * 1024

NOT_ACCEPTED = ("只能上传 PDF 文件、JPEG 或 PNG 图片、CSV 或 XLSX 表格：这个文件不是其中一种，"
                "或者已经损坏")
OLD_OFFICE = ("这是旧版 Office 文件（如 .xls）或加密的文件：请在 Excel 中另存为不加密的 .xlsx "
              "工作簿后重新选择")
NOT_TEXT = "这个 CSV 文件不是文本（或者编码无法识别）：请用 UTF-8 或 GBK 编码重新导出"
NOT_CSV = "这个 CSV 文件的格式不正确（例如引号没有配对，或者某一格太长）：请重新导出后再选择"
MACROS = "这个表格含有宏，不能上传：请另存为不含宏的 .xlsx 工作簿后重新选择"
UNZIPS_TOO_BIG = "这个表格解压后太大（可能是压缩炸弹），不能上传"
#: Parts of a workbook that reach outside it or run something, by how their name starts.
REFUSED_PARTS = {
    "xl/externallinks/": "这个表格链接了其他工作簿（外部链接）：请在 Excel 中断开链接后重新保存",
    "xl/connections.xml": "这个表格含有外部数据连接：请删除连接后重新保存",
    "xl/activex/": "这个表格含有 ActiveX 控件：请删除后重新保存",
    "xl/embeddings/": "这个表格含有嵌入的对象：请删除后重新保存",
}
#: Control characters that text never holds (tab, line feed and carriage return are fine).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: A cell a spreadsheet program reads as a formula: "=", "@", or a sign not before a number.
_FORMULA = re.compile(r"[=@]|[+-][^\d.\s]")
#: Extensions taken off a name before the one of what the bytes are is put on.
_EXTENSIONS = (".pdf", ".jpg", ".jpeg", ".png", ".csv", ".txt", ".xlsx", ".xlsm", ".xls")
#: Characters a file name may not hold on common systems, replaced by "_".
_RESERVED = set('<>:"/\\|?*')


class AttachmentError(RequestError):
    """A file refused; ``field`` names its slot (``file_2``) on the form."""


@dataclass(frozen=True)
class Clean:
    """A file's bytes as stored (an image re-encoded, a CSV in UTF-8), its content type and
    extension."""

    data: bytes
    content_type: str
    extension: str


def max_bytes() -> int:
    return int(current_app.config["REQUEST_ATTACHMENT_MAX_BYTES"])


def kind(content_type: str) -> str:
    return KINDS.get(content_type, "文件")


def size_label(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{max(size // 1024, 1)} KB"


def megabytes(size: int) -> str:
    return f"{size // (1024 * 1024)} MB" if size >= 1024 * 1024 else f"{size // 1024} KB"


def clean_name(raw: str, extension: str = "pdf") -> str:
    """The name to show and to save as: the last part of what the browser sent, without
    control, format (bidi) or reserved characters, at most 80 characters, ending in the
    extension of what the bytes are."""
    name = unicodedata.normalize("NFC", raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join("_" if c in _RESERVED else c for c in name
                   if unicodedata.category(c)[0] != "C")
    name = " ".join(name.split())
    for known in _EXTENSIONS:
        if name.lower().endswith(known):
            name = name[:-len(known)]
            break
    stem = name[:80].strip(" .") or "附件"
    return f"{stem}.{extension}"


def clean_file(data: bytes, name: str = "", field: str = "file") -> Clean:
    """The file as it will be stored.

    :param name: what the browser called it; only a text file needs it (to be read as CSV).
    :raise AttachmentError: empty, too large, or not an acceptable file of any kind.
    """
    limit = max_bytes()
    if not data:
        raise AttachmentError("上传的文件是空文件", field)
    if len(data) > limit:
        raise AttachmentError(f"每个文件不能超过 {megabytes(limit)}", field)
    if data.startswith(b"%PDF-"):
        if b"%%EOF" not in data[-2048:]:
            raise AttachmentError(NOT_ACCEPTED, field)
        return Clean(data, PDF, "pdf")
    if data.startswith(IMAGE_SIGNATURES):
        try:
            photo = clean_photo(data, limit, int(
                current_app.config["REQUEST_ATTACHMENT_MAX_PIXELS"]))
        except PhotoRejected as exc:
            raise AttachmentError(exc.message, field) from None
        return Clean(photo.data, photo.content_type, photo.extension)
    if data.startswith(ZIP_SIGNATURE):
        check_workbook(data, field)
        return Clean(data, XLSX, "xlsx")
    if data.startswith(OLE_SIGNATURE):
        raise AttachmentError(OLD_OFFICE, field)
    if name.strip().lower().endswith(".csv"):
        return Clean(clean_csv(data, field), CSV, "csv")
    raise AttachmentError(NOT_ACCEPTED, field)


def clean_csv(data: bytes, field: str = "file") -> bytes:
    """A CSV table's bytes in UTF-8 with a byte order mark.

    :raise AttachmentError: not text in UTF-8 or GB18030 (which covers GBK), not well-formed
        CSV, empty, or a cell that a spreadsheet program would run as a formula.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise AttachmentError(NOT_TEXT, field) from None
    if _CONTROL.search(text):
        raise AttachmentError(NOT_TEXT, field)
    if not text.strip():
        raise AttachmentError("这个 CSV 表格没有内容", field)
    rows = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        for row in rows:
            for column, cell in enumerate(row, 1):
                if _FORMULA.match(cell.lstrip(" \t\r\n")):
                    raise AttachmentError(
                        f"CSV 表格第 {rows.line_num} 行第 {column} 列以“{cell.strip()[:1]}”开头，"
                        "表格软件会把它当作公式：请改写这一格后重新选择", field)
    except csv.Error:
        raise AttachmentError(NOT_CSV, field) from None
    return ("\ufeff" + text).encode("utf-8")


#: What reading a broken or hostile archive may raise: each means "not a workbook we take".
#: (AttachmentError is a ValueError too: it is raised only outside the ``try``.)
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError,
               NotImplementedError, RuntimeError, KeyError, zlib.error, lzma.LZMAError)


def check_workbook(data: bytes, field: str = "file") -> None:
    """Check an XLSX workbook without reading its cells.

    :raise AttachmentError: not a ZIP holding ``[Content_Types].xml`` and ``xl/workbook.xml``,
        encrypted parts, too many parts or too much unpacked, macros, external links or
        connections, controls or embedded objects.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            unpacked = sum(m.file_size for m in members)
            names = {m.filename.lower(): m for m in members}
            encrypted = any(m.flag_bits & 0x1 for m in members)
            types = names.get("[content_types].xml")
            declared = b""
            if types is not None and not encrypted and len(members) <= ZIP_MAX_MEMBERS \
                    and unpacked <= UNZIPPED_MAX_BYTES:
                # Bounded by the size the archive declares (zipfile stops there) and the cap.
                with archive.open(types) as part:
                    declared = part.read(_TYPES_MAX_BYTES).lower()
    except _ZIP_ERRORS:
        raise AttachmentError(NOT_ACCEPTED, field) from None
    if len(members) > ZIP_MAX_MEMBERS or unpacked > UNZIPPED_MAX_BYTES:
        raise AttachmentError(UNZIPS_TOO_BIG, field)
    if types is None or "xl/workbook.xml" not in names or encrypted:
        raise AttachmentError(NOT_ACCEPTED, field)
    if any(n.rsplit("/", 1)[-1] == "vbaproject.bin" or n.startswith("xl/macrosheets/")
           for n in names) or any(word in declared for word in (
               b"macroenabled", b"vbaproject", b"macrosheet")):
        raise AttachmentError(MACROS, field)
    for start, message in REFUSED_PARTS.items():
        if any(n.startswith(start) for n in names):
            raise AttachmentError(message, field)
