"""The shared frame of ``sunshine import KIND FILE``: the report every importer returns.

An importer reads the whole file, collects every bad row with its line number, and writes
nothing unless the file is clean and ``confirm`` is true: one file, one transaction.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class ImportReport:
    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    confirmed: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, line: int, message: str) -> None:
        self.errors.append((line, message))

    def summary(self) -> str:
        if self.errors:
            return f"{self.kind}: {len(self.errors)} 行有错误，未导入任何数据。"
        verb = "已导入" if self.confirmed else "试运行（未写入，加 --confirm 才导入）"
        return f"{self.kind}: {verb}，共 {self.rows} 行，新增 {self.created}，更新 {self.updated}。"


class BadFile(ValueError):
    """The file cannot be read as UTF-8 CSV with the expected header."""


def read_csv_rows(path: Path, required: set[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row) from a UTF-8 CSV (a BOM is allowed), streaming."""
    try:
        handle = open(path, encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise BadFile(f"无法打开文件 {path}：{exc.strerror}") from exc
    with handle:
        try:
            reader = csv.DictReader(handle)
            header = set(reader.fieldnames or [])
        except UnicodeDecodeError as exc:
            raise BadFile(f"{path} 第 1 行：不是 UTF-8 编码") from exc
        missing = required - header
        if missing:
            raise BadFile(f"{path} 第 1 行：缺少列 {', '.join(sorted(missing))}")
        try:
            for row in reader:
                yield reader.line_num, {k: (v or "").strip() for k, v in row.items() if k}
        except UnicodeDecodeError as exc:
            raise BadFile(f"{path} 第 {reader.line_num + 1} 行附近：不是 UTF-8 编码") from exc
        except csv.Error as exc:
            raise BadFile(f"{path} 第 {reader.line_num} 行：{exc}") from exc
