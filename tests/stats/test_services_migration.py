"""The migration that packs members per household keeps every member and every ID hash
(as its first 8 bytes), on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from sunshine import create_app
from sunshine.extensions import db
from sunshine.stats.idnumbers import hasher_from_key
from sunshine.stats.members import unpack
from tests.apps import make_config

pytestmark = pytest.mark.postgres

BEFORE = "71d0affae895"
PACKED = "f5ea784e8eef"


# The migration runs on rows it writes itself (a Guangxi village and ID numbers), whatever the
# province: the codes are only data here.
def test_members_move_into_packed_rows(tmp_path, database_url) -> None:
    app = create_app(make_config(tmp_path, database_url))
    key = b"migration-test-key"
    digest16 = hashlib.blake2b(key=key, digest_size=16, person=b"sunshine-id")
    with app.app_context():
        upgrade(revision=BEFORE)
        numbers = ["450102198001010015", "450102197503120025", "450103199012120034"]
        hashes = []
        for number in numbers:
            h = digest16.copy()
            h.update(number.encode())
            hashes.append(h.digest())
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO region (code, name, level, parent_code, synthetic) "
                              "VALUES ('450102101201', '某村', 5, NULL, false)"))
            for hid in (4501021012010001, 4501021012010002):
                conn.execute(text(
                    "INSERT INTO household (id, village_code, main_cause, other_causes, size, "
                    "entered, exited, returned, reexited, removed, measures, measure_years, "
                    "income, cadre, cadre_unit, synthetic) VALUES (:id, '450102101201', 1, 0, "
                    "2, 2015, 0, 0, 0, 0, 0, '', '', '', '', false)"), {"id": hid})
            for i, (hid, name, relation) in enumerate(((4501021012010001, "韦甲", 1),
                                                       (4501021012010001, "韦乙", 0),
                                                       (4501021012010002, "覃丙", 0))):
                conn.execute(text(
                    "INSERT INTO household_member (household_id, name, id_hash, id_masked, "
                    "relation, sex, birth_year, health, schooling, labour) VALUES (:h, :n, :d, "
                    "'450102********0015', :r, 1, 1980, 0, 2, 0)"),
                    {"h": hid, "n": name, "d": hashes[i], "r": relation})
        upgrade(revision=PACKED)
        with db.engine.connect() as conn:
            lists = dict(conn.execute(text(
                "SELECT household_id, packed FROM household_members")).all())
            ids = dict(conn.execute(text("SELECT id_hash, household_id FROM member_id")).all())
        first = unpack(lists[4501021012010001])
        assert [(m.name, m.relation, m.birth_year) for m in first] == [("韦甲", 1, 1980),
                                                                      ("韦乙", 0, 1980)]
        assert [m.name for m in unpack(lists[4501021012010002])] == ["覃丙"]
        # The stored hashes still find the people with today's hash function.
        hasher = hasher_from_key(key)
        assert ids == {hasher(numbers[0]): 4501021012010001, hasher(numbers[1]): 4501021012010001,
                       hasher(numbers[2]): 4501021012010002}
        db.engine.dispose()
