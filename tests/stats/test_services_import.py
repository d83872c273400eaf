"""Importing a county's export: households and members, streaming, all-or-nothing, line
numbers, dry runs, and the rollups that follow. Runs on PostgreSQL too (--postgres)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from sunshine.audit import AuditEntry
from sunshine.extensions import db
from sunshine.importing import BadFile
from sunshine.stats import csvload, rollup
from sunshine.stats.csvload import records
from sunshine.stats.importer import import_households, import_members
from sunshine.stats.models import Build, Household, MemberId, Rollup
from sunshine.stats.synthetic import HOUSEHOLD_CSV_HEADER, MEMBER_CSV_HEADER
from sunshine.stats.vocab import RELATIONS
from tests.conftest import COUNTY_PREFIX, OTHER_PREFIX, SAMPLE
from tests.stats.conftest import CANARY_IDS, make_register

pytestmark = pytest.mark.postgres


def _count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def _files(csv_file, households):
    h = csv_file("households.csv", HOUSEHOLD_CSV_HEADER, [x.csv_row() for x in households])
    m = csv_file("members.csv", MEMBER_CSV_HEADER,
                 [[f"{x.archive:016d}", *member] for x in households for member in x.members])
    return h, m


def test_a_county_export_imports_and_rolls_up(app, regions, csv_file) -> None:
    households = make_register(60)
    h, m = _files(csv_file, households)
    dry = import_households(h, False)
    assert dry.ok and dry.created == 60 and not dry.confirmed
    assert _count(Household) == 0 and _count(Rollup) == 0  # a dry run writes nothing
    report = import_households(h, True)
    assert report.ok and report.created == 60, report.errors
    members = import_members(m, True)
    assert members.ok, members.errors[:3]
    assert _count(Household) == 60
    assert _count(MemberId) == sum(len(x.members) for x in households)
    build = rollup.latest_build()
    assert build is not None and build.ok and build.households == 60
    assert db.session.get(Rollup, SAMPLE["province"]) is not None
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "stats_import")) == 2
    if db.session.get_bind().dialect.name == "postgresql":  # statistics made after the load
        analysed = db.session.execute(text(
            "SELECT DISTINCT tablename FROM pg_stats WHERE schemaname = current_schema() AND "
            "tablename IN ('household', 'household_members', 'member_id')")).scalars()
        assert set(analysed) == {"household", "household_members", "member_id"}


def test_a_file_without_an_optional_column_imports(app, regions, csv_file) -> None:
    keep = [i for i, name in enumerate(HOUSEHOLD_CSV_HEADER) if name != "cadre_unit"]
    rows = [[row[i] for i in keep] for row in (x.csv_row() for x in make_register(5))]
    path = csv_file("h.csv", [HOUSEHOLD_CSV_HEADER[i] for i in keep], rows)
    report = import_households(path, True)
    assert report.ok and report.created == 5, report.errors


def test_bad_rows_are_reported_by_line_and_nothing_is_written(app, regions, csv_file) -> None:
    rows = [x.csv_row() for x in make_register(5)]
    rows[1][2] = "因为穷"  # not a standard cause
    rows[3][0] = f"{SAMPLE['village']}9999"[:15]  # 15 digits
    rows[4][5] = "2013"  # before 2014
    path = csv_file("bad.csv", HOUSEHOLD_CSV_HEADER, rows)
    report = import_households(path, True)
    assert [line for line, _ in report.errors] == [3, 5, 6]
    assert "致贫原因" in report.errors[0][1]
    assert _count(Household) == 0


def test_village_must_match_the_archive_number_and_exist(app, regions, csv_file) -> None:
    row = make_register(1)[0].csv_row()
    other = list(row)
    other[1] = f"{COUNTY_PREFIX}101202"  # the archive number says the sample village
    unknown = list(row)
    unknown[0], unknown[1] = f"{COUNTY_PREFIX}1019990001", f"{COUNTY_PREFIX}101999"
    report = import_households(csv_file("v.csv", HOUSEHOLD_CSV_HEADER, [other, unknown]),
                                    True)
    assert [line for line, _ in report.errors] == [2, 3]
    assert "不在区划表中" in report.errors[1][1]


def test_a_bad_line_found_by_a_worker_process_is_reported(app, regions, csv_file,
                                                         monkeypatch) -> None:
    """Past the header, worker processes read the file: bytes that are not UTF-8 deep in a
    large file still give the clear error, and nothing is written."""
    monkeypatch.setattr(csvload, "BATCH", 7)
    monkeypatch.setattr(csvload, "PIECE_BYTES", 300)
    app.config.update(STATS_IMPORT_WORKERS=2, STATS_IMPORT_PARALLEL_BYTES=0)
    path = csv_file("h.csv", HOUSEHOLD_CSV_HEADER, [x.csv_row() for x in make_register(30)])
    path.write_bytes(path.read_bytes() + b"\xff\xfe,1\n")
    with pytest.raises(BadFile, match="UTF-8"):
        import_households(path, True)
    assert _count(Household) == 0


def test_a_missing_column_or_an_empty_file_is_refused(app, regions, csv_file, tmp_path) -> None:
    path = csv_file("cols.csv", ["archive_no", "village_code"], [["1", "2"]])
    with pytest.raises(BadFile, match="缺少列"):
        import_households(path, True)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(BadFile):
        import_members(empty, True)
    latin = tmp_path / "latin.csv"
    latin.write_bytes(",".join(HOUSEHOLD_CSV_HEADER).encode() + b"\n\xff\xfe,1\n")
    with pytest.raises(BadFile, match="UTF-8"):
        import_households(latin, True)


def test_member_errors_name_their_lines(app, regions, csv_file) -> None:
    households = make_register(3)
    import_households(_files(csv_file, households)[0], True)
    good = [f"{households[0].archive:016d}", *households[0].members[0]]
    bad_checksum = list(good)
    bad_checksum[2] = good[2][:17] + ("1" if good[2][17] != "1" else "2")
    unknown_household = list(good)
    unknown_household[0] = f"{SAMPLE['village']}9998"
    unknown_household[2] = CANARY_IDS[0]
    twice = list(good)
    twice[1] = "另一个人"
    bad_relation = list(good)
    bad_relation[3] = "邻居"
    path = csv_file("m.csv", MEMBER_CSV_HEADER,
                    [good, bad_checksum, unknown_household, twice, bad_relation])
    report = import_members(path, True)
    lines = dict(report.errors)
    assert set(lines) == {3, 4, 5, 6}, report.errors
    assert "校验码" in lines[3]
    assert "档案编号不存在" in lines[4]
    assert "一人只能在一户" in lines[5]
    assert "关系" in lines[6]
    assert _count(MemberId) == 0


def test_reimporting_updates_households_and_replaces_members(app, regions, csv_file) -> None:
    households = make_register(10)
    h, m = _files(csv_file, households)
    import_households(h, True)
    import_members(m, True)
    members_before = _count(MemberId)
    rows = [x.csv_row() for x in households]
    rows[0][4] = "9"
    again = import_households(csv_file("again.csv", HOUSEHOLD_CSV_HEADER, rows), True)
    assert again.ok and again.updated == 10 and again.created == 0
    assert db.session.get(Household, households[0].archive).size == 9
    assert import_members(m, True).ok  # same members again: replaced, not duplicated
    assert _count(MemberId) == members_before
    assert rollup.latest_build().ok


@pytest.mark.parametrize("workers", [1, 2])
def test_worker_processes_report_the_same_lines(app, regions, csv_file, monkeypatch,
                                                workers) -> None:
    """Large files are checked in worker processes, batch by batch: a duplicate two batches
    apart, bad rows in several batches and a short row are named exactly as in-process."""
    monkeypatch.setattr(csvload, "BATCH", 7)
    monkeypatch.setattr(csvload, "PIECE_BYTES", 300)
    app.config.update(STATS_IMPORT_WORKERS=workers, STATS_IMPORT_PARALLEL_BYTES=0)
    households = make_register(40)
    rows = [x.csv_row() for x in households]
    rows[3][2] = "因为穷"
    rows[20] = list(rows[2])  # the same archive number again, two batches later
    rows[30] = rows[30][:5]
    report = import_households(csv_file("h.csv", HOUSEHOLD_CSV_HEADER, rows), True)
    assert report.rows == 40 and report.created == 37
    assert [line for line, _ in report.errors] == [5, 22, 32]
    assert "文件中重复" in report.errors[1][1] and "列" in report.errors[2][1]
    del rows[30], rows[20], rows[3]
    good = import_households(csv_file("h2.csv", HOUSEHOLD_CSV_HEADER, rows), True)
    assert good.ok and good.created == 37, good.errors[:3]
    kept = [x for x in households if f"{x.archive:016d}" in {r[0] for r in rows}]
    members = [[f"{x.archive:016d}", *m] for x in kept for m in x.members]
    members[9][3] = "邻居"
    bad = import_members(csv_file("m.csv", MEMBER_CSV_HEADER, members), True)
    assert [line for line, _ in bad.errors] == [11] and _count(MemberId) == 0
    del members[9]
    done = import_members(csv_file("m2.csv", MEMBER_CSV_HEADER, members), True)
    assert done.ok and _count(MemberId) == len(members) == done.created
    assert rollup.latest_build().ok


def test_quoted_fields_across_lines_keep_line_numbers(tmp_path) -> None:
    path = tmp_path / "q.csv"
    path.write_text('a,b\n1,"x,y"\n2,"multi\nline"\n3,z\n', encoding="utf-8")
    assert list(records(path)) == [(1, ["a", "b"]), (2, ["1", "x,y"]),
                                   (3, ["2", "multi\nline"]), (5, ["3", "z"])]


def test_import_is_followed_by_a_checked_incremental_build(app, regions, csv_file) -> None:
    first = make_register(20, seed=1, villages=[SAMPLE["village"]])
    import_households(_files(csv_file, first)[0], True)
    second = make_register(20, seed=2, villages=[f"{OTHER_PREFIX}101201"])
    import_households(csv_file("second.csv", HOUSEHOLD_CSV_HEADER,
                                     [x.csv_row() for x in second]), True)
    builds = db.session.execute(select(Build).order_by(Build.id)).scalars().all()
    assert [b.kind for b in builds] == ["full", "incremental"] and all(b.ok for b in builds)
    assert builds[-1].households == 40


@pytest.mark.parametrize("workers", [0, 2])
def test_members_of_a_household_apart_in_the_file_are_kept_together(app, regions, csv_file,
                                                                      monkeypatch, workers) -> None:
    """A household's members normally come together; when they do not (an unsorted file,
    or a batch boundary between them) they still end up in one row, in file order."""
    from sunshine.stats.models import MemberList

    monkeypatch.setattr(csvload, "BATCH", 5)
    monkeypatch.setattr(csvload, "PIECE_BYTES", 200)
    app.config.update(STATS_IMPORT_WORKERS=workers, STATS_IMPORT_PARALLEL_BYTES=0)
    households = [x for x in make_register(12) if len(x.members) >= 2]
    import_households(_files(csv_file, households)[0], True)
    rows = [[f"{x.archive:016d}", *m] for x in households for m in x.members]
    rows.append(rows.pop(0))  # the first household's head goes to the end of the file
    report = import_members(csv_file("m.csv", MEMBER_CSV_HEADER, rows), True)
    assert report.ok, report.errors[:3]
    assert _count(MemberId) == len(rows) == report.created
    first = db.session.get(Household, households[0].archive)
    names = [m.name for m in first.members]
    assert sorted(names) == sorted(m[0] for m in households[0].members)
    assert names[0] == households[0].members[0][0]  # the head first (relation 户主)
    stored = db.session.get(MemberList, households[0].archive)
    assert stored.count == len(households[0].members)
    assert stored.packed.split("\x1e")[-1].startswith(households[0].members[0][0])  # file order
    for x in households[1:]:
        assert [m.name for m in db.session.get(Household, x.archive).members] == \
            [m[0] for m in sorted(x.members, key=lambda m: RELATIONS.index(m[2]))]


@pytest.mark.parametrize("confirm", [True, False])
def test_a_first_load_of_id_rows_is_built_in_two_processes(app, regions, csv_file, monkeypatch,
                                                           tmp_path, confirm) -> None:
    """On SQLite, a large first load of ``member_id`` is split: another process builds the
    second half in a file of its own, which is attached, copied and, once the import's
    transaction is over, detached and removed. The rows are the same as a load in one piece,
    and a dry run leaves nothing behind either."""
    from sunshine.stats import bulk
    from sunshine.stats.idnumbers import id_hasher

    monkeypatch.setattr(bulk, "HALVES_FROM", 2)
    real, note = bulk._fill, tmp_path / "half"
    monkeypatch.setattr(bulk, "_fill",
                        lambda *a: (note.write_text(str(len(a[-1][0]))), real(*a)))
    households = make_register(40)
    h, m = _files(csv_file, households)
    assert import_households(h, True).ok
    report = import_members(m, confirm)
    assert report.ok, report.errors[:3]
    everyone = [(x.archive, member[1]) for x in households for member in x.members]
    if db.session.get_bind().dialect.name == "sqlite":
        assert note.read_text() == str(len(everyone) - len(everyone) // 2)  # the other half
    digest = id_hasher()
    expected = sorted((digest(number), archive) for archive, number in everyone)
    stored = sorted(db.session.execute(select(MemberId.id_hash, MemberId.household_id)).all())
    assert stored == (expected if confirm else [])
    db.session.remove()
    assert not bulk._ATTACHED
    with db.engine.connect() as connection:
        schemas = [row[1] for row in connection.exec_driver_sql("PRAGMA database_list")] \
            if connection.dialect.name == "sqlite" else []
    assert not [name for name in schemas if name.startswith("sunshine_half")]


def test_an_import_into_an_empty_register_rolls_up_what_a_rebuild_reads(app, regions, csv_file,
                                                                       monkeypatch) -> None:
    """The rollup after an import into an empty register takes the imported rows as they
    went in (``scanrows.scan_rows``) instead of reading them back: the same rollups as a full
    rebuild that scans the register, and the scan is not run."""
    from sunshine.stats.scanrows import scan_row, scan_rows

    households = make_register(80)
    reads = []
    real = rollup.scan_committed
    monkeypatch.setattr(rollup, "scan_committed", lambda *a: reads.append(a) or real(*a))
    h, _ = _files(csv_file, households)
    assert import_households(h, True).ok
    build = rollup.latest_build()
    assert build is not None and build.ok and build.households > 0 and not reads
    imported = {r.region_code: (bytes(r.cells), bytes(r.status))
                for r in db.session.execute(select(Rollup)).scalars()}
    assert rollup.rebuild_all().ok and reads  # read back from the register this time
    again = {r.region_code: (bytes(r.cells), bytes(r.status))
             for r in db.session.execute(select(Rollup)).scalars()}
    assert imported == again
    rows = [db.session.get(Household, x.archive) for x in households]
    columns = [[getattr(r, name) for r in rows] for name in (
        "id", "main_cause", "size", "entered", "exited", "returned", "reexited", "removed",
        "measures")]
    expected = [scan_row(r.id, r.main_cause, r.size, r.measures, r.entered, r.exited,
                         r.returned, r.reexited, r.removed) for r in rows]
    assert [tuple(x) for x in scan_rows(columns[0], columns[1], columns[2], columns[3:8],
                                        columns[8]).tolist()] == expected


def test_an_id_number_given_twice_is_named_with_its_first_line(app, regions, csv_file) -> None:
    """A first load finds a person given in several places from the sorted hashes: each later
    line is named with the first, and nothing is written; a later import is refused by the
    key with the other message."""
    households = make_register(30)
    h, _ = _files(csv_file, households)
    assert import_households(h, True).ok
    rows = [[f"{x.archive:016d}", *m] for x in households for m in x.members]
    twice = rows[3][2]
    rows[10][2] = rows[25][2] = twice  # lines 12 and 27 repeat line 5
    rows[40][2] = rows[41][2]  # line 42 repeats line 43: named at 43 with 42
    report = import_members(csv_file("m.csv", MEMBER_CSV_HEADER, rows), True)
    assert report.errors == [(12, "身份证号与第 5 行重复（一人只能在一户）"),
                             (27, "身份证号与第 5 行重复（一人只能在一户）"),
                             (43, "身份证号与第 42 行重复（一人只能在一户）")]
    assert _count(MemberId) == 0
    first = [r for r in rows if r[0] == rows[0][0]]
    assert import_members(csv_file("m1.csv", MEMBER_CSV_HEADER, first), True).ok
    other = [list(r) for r in rows if r[0] == rows[-1][0]]
    other[0][2] = first[0][2]  # already registered in the first household
    refused = import_members(csv_file("m2.csv", MEMBER_CSV_HEADER, other), True)
    assert [message for _, message in refused.errors] == [
        "身份证号已登记在其他成员名下（一人只能在一户）"]


def test_a_members_file_without_one_good_row_is_reported_line_by_line(app, regions,
                                                                       csv_file) -> None:
    """Every row bad: nothing to pack or write, and each line is named (an empty batch once
    failed in the grouping by household)."""
    households = make_register(3)
    h, _ = _files(csv_file, households)
    assert import_households(h, True).ok
    rows = [[f"{x.archive:016d}", *m] for x in households for m in x.members]
    for row in rows:
        row[3] = "邻居"  # not a relation
    report = import_members(csv_file("bad.csv", MEMBER_CSV_HEADER, rows), True)
    assert [line for line, _ in report.errors] == list(range(2, len(rows) + 2))
    assert _count(MemberId) == 0


def test_if_the_other_process_fails_the_importer_writes_all_id_rows(app, regions, csv_file,
                                                                    monkeypatch) -> None:
    from sunshine.stats import bulk

    def broken(*_args):
        raise OSError("no space left in /dev/shm")

    monkeypatch.setattr(bulk, "HALVES_FROM", 2)
    monkeypatch.setattr(bulk, "_fill", broken)
    households = make_register(20)
    h, m = _files(csv_file, households)
    assert import_households(h, True).ok
    assert import_members(m, True).ok
    assert _count(MemberId) == sum(len(x.members) for x in households)
    db.session.remove()
    assert not bulk._ATTACHED
