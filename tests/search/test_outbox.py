"""The search outbox: a change and its outbox row are one transaction; a node applies the rows
to its own index, idempotently, finds ids committed late, reports its lag and prunes."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select, update
from whoosh import index as whoosh_index

from sunshine.content import services
from sunshine.content.models import Article, Status
from sunshine.database import utcnow
from sunshine.extensions import db
from sunshine.search import follow, node
from sunshine.search.index import search
from sunshine.search.outbox import DELETE, UPSERT, NodeRow, OutboxRow, changed
from tests.conftest import apply_search
from tests.search.outbox_helpers import draft, editor

pytestmark = pytest.mark.postgres


def _rows() -> list[tuple[str, str]]:
    return [(r.doc_id, r.action) for r in
            db.session.execute(select(OutboxRow).order_by(OutboxRow.id)).scalars()]


def _urls(app, text: str) -> list[str]:
    return [hit.url for hit in search(app.config["SEARCH_INDEX_DIR"], text).hits]


def _indexed(app, doc_id: str) -> int:
    """How many copies of a document the index holds."""
    ix = whoosh_index.open_dir(app.config["SEARCH_INDEX_DIR"])
    with ix.searcher() as searcher:
        return len(list(searcher.document_numbers(id=doc_id)))


def test_publish_writes_a_row_that_apply_indexes_and_unpublish_one_that_removes(app, regions):
    author = editor()
    article = draft(author, "石门村通了硬化路", "shimen")
    assert _rows() == []  # a draft is not public
    services.publish(article, author)
    assert _rows() == [(f"article:{article.id}", UPSERT)]
    assert _urls(app, "硬化路") == []  # committed, not yet applied
    applied = apply_search(app)
    assert (applied.rows, applied.indexed, applied.removed) == (1, 1, 0)
    assert _urls(app, "硬化路") == ["/news/shimen"]
    services.unpublish(article, author, "信息有误")
    assert _rows()[-1] == (f"article:{article.id}", DELETE)
    apply_search(app)
    assert _urls(app, "硬化路") == []


def test_a_rolled_back_change_leaves_no_outbox_row(app, regions):
    author = editor()
    article = draft(author, "石门村通了硬化路", "shimen")
    article.status = Status.PUBLISHED
    changed([f"article:{article.id}"])
    db.session.flush()
    assert len(_rows()) == 1  # in the transaction
    db.session.rollback()
    assert _rows() == []
    assert db.session.get(Article, article.id).status == Status.DRAFT
    assert apply_search(app).rows == 0
    assert _urls(app, "硬化路") == []


def test_an_id_without_its_key_is_refused(app):
    with pytest.raises(ValueError):
        changed([f"article:{None}"])
    with pytest.raises(ValueError):
        changed(deletes=["article"])


def test_a_change_named_after_its_commit_is_refused(app):
    """A row added after the commit would wait for someone else's commit, or be lost."""
    db.session.commit()
    with pytest.raises(RuntimeError):
        changed(["article:1"])
    assert db.session.scalar(select(func.count()).select_from(OutboxRow)) == 0


def test_apply_is_idempotent_and_reads_the_database_not_the_row(app, regions):
    author = editor()
    article = draft(author, "石门村通了硬化路", "shimen")
    services.publish(article, author)
    apply_search(app)
    # Applied again from the start (a crash before the position was saved): one copy.
    node.Position(0, [], time.time()).save(node.folder())
    assert apply_search(app).rows == 1
    assert apply_search(app).rows == 0
    assert _indexed(app, f"article:{article.id}") == 1
    assert _urls(app, "硬化路") == ["/news/shimen"]
    # An upsert row for a document no longer public takes it out: the database decides.
    db.session.execute(update(Article).where(Article.id == article.id)
                       .values(status=Status.UNPUBLISHED))
    changed([f"article:{article.id}"])
    db.session.commit()
    applied = apply_search(app)
    assert (applied.indexed, applied.removed) == (0, 1)
    assert _indexed(app, f"article:{article.id}") == 0


def test_ids_skipped_on_the_way_up_are_watched_until_they_come_or_time_out() -> None:
    now = 1000.0
    start = node.Position(4)
    moved = start.after([5, 6, 9, 10], now)
    assert moved.position == 10 and moved.floor == 6
    assert [(g.first, g.last) for g in moved.gaps] == [(7, 8)]
    # 8 commits later; 7 never does (rolled back) and is given up after GAP_SECONDS.
    later = moved.after([8, 11], now + 1)
    assert later.position == 11 and [(g.first, g.last) for g in later.gaps] == [(7, 7)]
    assert later.after([], now + node.GAP_SECONDS + 1).gaps == []
    # Nothing new: the same position.
    assert start.after([], now).position == 4 and start.after([], now).gaps == []


@pytest.mark.postgres_only
def test_a_row_committed_after_a_later_one_is_still_applied(app, regions):
    """On PostgreSQL ids are taken at insert: a transaction holding id N may commit after the
    one holding N+1, which the node has then already passed."""
    author = editor()
    slow, quick = draft(author, "龙潭村建起光伏电站", "longtan"), draft(author, "石门村通了硬化路",
                                                                      "shimen")
    apply_search(app)
    with db.engine.connect() as other:
        late = other.begin()
        other.execute(update(Article).where(Article.id == slow.id)
                      .values(status=Status.PUBLISHED))
        other.execute(insert(OutboxRow).values(doc_id=f"article:{slow.id}", action=UPSERT,
                                               created_at=utcnow()))
        services.publish(quick, author)  # a higher id, committed first
        assert apply_search(app).rows == 1
        assert _urls(app, "硬化路") == ["/news/shimen"] and _urls(app, "光伏电站") == []
        late.commit()
    assert apply_search(app).rows == 1
    assert _urls(app, "光伏电站") == ["/news/longtan"]


def test_rebuild_sets_the_position_and_status_shows_each_nodes_lag(app, regions, runner):
    author = editor()
    article = draft(author, "石门村通了硬化路", "shimen")
    services.publish(article, author)
    rebuilt = runner.invoke(args=["search", "rebuild"])
    assert rebuilt.exit_code == 0 and "搜索索引已重建" in rebuilt.output
    assert _urls(app, "硬化路") == ["/news/shimen"]
    top = db.session.scalar(select(func.max(OutboxRow.id)))
    assert node.Position.load(node.folder()).position == top
    services.unpublish(article, author, "信息有误")
    status = runner.invoke(args=["search", "status"])
    assert status.exit_code == 0 and "待应用 1 条" in status.output
    assert status.output.startswith("* ")  # this node
    applied = runner.invoke(args=["search", "apply"])
    assert applied.exit_code == 0 and "已应用 1 条变更" in applied.output, applied.output
    assert _urls(app, "硬化路") == []
    assert "待应用 0 条" in runner.invoke(args=["search", "status"]).output
    # The only node has applied everything: the rows are gone but the newest.
    assert _rows() == [(f"article:{article.id}", DELETE)]


def test_prune_keeps_what_a_live_node_has_not_applied(app, regions):
    author = editor()
    for n in range(3):
        services.publish(draft(author, f"第{n}篇", f"n{n}"), author)
    ids = db.session.scalars(select(OutboxRow.id).order_by(OutboxRow.id)).all()
    now = utcnow()
    db.session.add_all([
        NodeRow(name="a", position=ids[2], floor=ids[2], seen_at=now),
        NodeRow(name="b", position=ids[1], floor=ids[0], seen_at=now),
        NodeRow(name="gone", position=0, floor=0, seen_at=now - timedelta(days=30)),
    ])
    db.session.commit()
    assert node.prune() == 1  # up to b's floor; the node silent for a month is forgotten
    assert db.session.scalars(select(OutboxRow.id)).all() == ids[1:]
    assert sorted(db.session.scalars(select(NodeRow.name))) == ["a", "b"]
    # Rows older than the retention period go whoever has not applied them, but the newest.
    db.session.execute(update(OutboxRow).values(created_at=now - timedelta(days=8)))
    db.session.commit()
    assert node.prune() == 1
    assert db.session.scalars(select(OutboxRow.id)).all() == ids[2:]


def test_a_node_without_a_position_or_away_too_long_rebuilds(app, regions):
    author = editor()
    services.publish(draft(author, "石门村通了硬化路", "shimen"), author)
    applied = node.apply_pending()
    assert applied is not None and applied.rebuilt is not None and applied.rebuilt["news"] == 1
    assert _urls(app, "硬化路") == ["/news/shimen"]
    assert apply_search(app).rebuilt is None
    away = node.Position.load(node.folder())
    away.checked_at -= node.retention().total_seconds() + 1
    away.save(node.folder())
    assert node.apply_pending().rebuilt is not None
    # Past the newest row: the database was restored from an older backup.
    ahead = node.Position.load(node.folder())
    ahead.position += 5
    ahead.save(node.folder())
    assert node.apply_pending().rebuilt is not None
    assert node.Position.load(node.folder()).position == ahead.position - 5


def test_only_one_process_of_a_node_applies_at_a_time(app, regions):
    with node.node_lock(node.folder()):
        assert node.apply_pending(wait=False) is None
    assert apply_search(app) is not None


@pytest.mark.own_app
@pytest.mark.parametrize("app_config", [{"SEARCH_APPLY_THREAD": True,
                                         "SEARCH_APPLY_INTERVAL": 0.05}])
def test_the_servers_thread_starts_with_the_first_request_and_follows(app, client, regions):
    author = editor()
    assert follow._FOLLOWERS.get(id(app)) is None  # making the app started nothing
    try:
        assert client.get("/healthz").status_code == 200
        assert follow._FOLLOWERS[id(app)].thread.is_alive()
        services.publish(draft(author, "石门村通了硬化路", "shimen"), author)
        deadline = time.monotonic() + 5
        while _urls(app, "硬化路") != ["/news/shimen"]:
            assert time.monotonic() < deadline, "the thread did not apply the outbox"
            time.sleep(0.05)
    finally:
        follow.stop(app)
