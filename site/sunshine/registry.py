"""What the features contribute to the shared parts of the site, collected per application.

Each feature's ``init_app(app)`` adds its search sources and loaders, demo step, importers,
dashboard tiles, navigation sections, sitemap entries, complaint targets, public-record types,
OpenAPI paths, audit-log labels, what people may follow by e-mail, its mail jobs and what
follows a region rename to ``registry(app)``; search, the demo, ``sunshine import``, the back
office, the sitemap, the public record, the API document, the mail outbox and the region tree
read them back from there. One ``Registry`` per app: two apps built in one process (the tests
build many) never see each other's entries, and nothing is registered by importing a module.

This module is part of the kernel: it knows no feature. What a feature contributes is described
by the plain types below (a search document, a dashboard tile, a navigation section) and by the
shapes of the functions it hands over.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app

from sunshine.importing import ImportReport

if TYPE_CHECKING:  # the ledger reads this registry, so it cannot be imported at run time here
    from sunshine.records.ledger import RecordType

#: ``app.extensions`` key of the app's registry.
EXTENSION = "sunshine"


@dataclass(frozen=True)
class SearchDoc:
    """One public thing in site search; only public fields go in."""

    id: str  # unique across types, e.g. "region:450102000000"
    type: str  # region, news, policy, fund, project, notice, need, product, case
    title: str
    body: str
    url: str
    region_code: str = ""
    date: str = ""
    extra: dict[str, str] = field(default_factory=dict)


@dataclass
class Tile:
    """A count on the back-office dashboard: what waits for a staff member's region.

    ``waiting`` is false for a count that is only a fact (regions, households), not work: the
    staff's daily mail leaves those out.
    """

    label: str
    count: int
    url: str | None = None
    urgent: bool = False
    waiting: bool = True


@dataclass(frozen=True)
class Section:
    """A link in the back-office navigation; ``roles`` empty means every staff role."""

    label: str
    endpoint: str
    roles: frozenset[str] = frozenset()


@dataclass(frozen=True)
class AuditAction:
    """One kind of audit-log entry: what the back office calls it and which roles (by name)
    may read its entries, within their region; the province administrator reads them all.

    The roles that work in a module read its entries and no others: an editor does not read
    who looked at the register, staff do not read who opened a complainant's identity.
    """

    label: str
    readers: frozenset[str] = frozenset()


@dataclass(frozen=True)
class FollowTopic:
    """Something people may follow by e-mail (a notice, a need, a project, a case).

    ``label(key)`` names the thing for the follow form and the messages, or gives None when
    there is no such public thing. A ``signed`` topic is followed only with a key the site
    signed on a page that proved the right to it (a case, from its tracking page).
    """

    name: str
    label: Callable[[str], str | None]
    signed: bool = False


#: Yields every public document of one type, for a full rebuild of the index.
SearchSource = Callable[[], Iterable[SearchDoc]]
#: Yields the documents among some keys of one kind that are public now, e.g. the articles
#: among ids ["12", "15"] for ``article:12`` and ``article:15``: what the search outbox names.
SearchLoader = Callable[[list[str]], Iterable[SearchDoc]]
#: Adds a feature's demo data; takes the demo's ``DemoContext``.
DemoStep = Callable[[Any], None]
#: ``sunshine import KIND FILE``: reads the file, writes only when confirmed and clean.
Importer = Callable[[Path, bool], ImportReport]
#: The dashboard tiles a feature shows the signed-in staff member (a ``User``).
TileSource = Callable[[Any], list[Tile]]
#: (path, last modified or None) of a feature's public pages, for /sitemap.xml.
SitemapSource = Callable[[], Iterable[tuple[str, datetime | None]]]
#: The label of a complaint target ("扶贫项目：…") from its id, or None unless the public may
#: see it (a draft is unknown).
TargetResolver = Callable[[str], str | None]
#: Told, inside the transaction of a change and before its commit, the codes of the regions
#: whose names it changed: what shows a region's name elsewhere (the search index) follows.
RenameListener = Callable[[list[str]], None]
#: Run by ``sunshine mail send`` before it delivers: queues the messages that came due by the
#: given instant (a follow-up question, say) and returns how many.
MailJob = Callable[[datetime], int]


@dataclass
class Registry:
    """Everything the features registered on one app, in the order they registered it."""

    search_sources: dict[str, SearchSource] = field(default_factory=dict)
    #: By the kind of a document id, the part before the colon (``article`` of ``article:12``).
    search_loaders: dict[str, SearchLoader] = field(default_factory=dict)
    #: Run in this order by the demo: a step may use what the steps before it built.
    demo_steps: list[tuple[str, DemoStep]] = field(default_factory=list)
    importers: dict[str, Importer] = field(default_factory=dict)
    tile_sources: list[TileSource] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    sitemap_sources: list[SitemapSource] = field(default_factory=list)
    complaint_targets: dict[str, TargetResolver] = field(default_factory=dict)
    record_types: dict[str, RecordType] = field(default_factory=dict)
    openapi_paths: dict[str, Any] = field(default_factory=dict)
    #: The audit log's action names → their label and readers. An action nobody registered
    #: is read by the province administrator only.
    audit_actions: dict[str, AuditAction] = field(default_factory=dict)
    follow_topics: dict[str, FollowTopic] = field(default_factory=dict)
    mail_jobs: dict[str, MailJob] = field(default_factory=dict)
    #: Told of region renames (the region tree sits below the features that show its names).
    rename_listeners: list[RenameListener] = field(default_factory=list)

    def add_search_source(self, doc_type: str, source: SearchSource) -> None:
        _add(self.search_sources, doc_type, source, "search source")

    def add_search_loader(self, kind: str, loader: SearchLoader) -> None:
        _add(self.search_loaders, kind, loader, "search loader")

    def add_demo_step(self, name: str, step: DemoStep) -> None:
        if any(known == name for known, _ in self.demo_steps):
            raise ValueError(f"demo step {name!r} registered twice")
        self.demo_steps.append((name, step))

    def add_importer(self, kind: str, importer: Importer) -> None:
        _add(self.importers, kind, importer, "importer")

    def add_tiles(self, source: TileSource) -> None:
        self.tile_sources.append(source)

    def add_section(self, section: Section) -> None:
        self.sections.append(section)

    def add_sitemap(self, source: SitemapSource) -> None:
        self.sitemap_sources.append(source)

    def add_complaint_target(self, target_type: str, resolver: TargetResolver) -> None:
        _add(self.complaint_targets, target_type, resolver, "complaint target")

    def add_record_type(self, record_type: RecordType) -> None:
        _add(self.record_types, record_type.name, record_type, "record type")

    def add_openapi_paths(self, paths: dict[str, Any]) -> None:
        for path, spec in paths.items():
            _add(self.openapi_paths, path, spec, "OpenAPI path")

    def add_audit_labels(self, labels: dict[str, str], readers: Iterable[str] = ()) -> None:
        """Audit actions with their labels, read by ``readers`` (role names) and the admin."""
        for action, label in labels.items():
            _add(self.audit_actions, action, AuditAction(label, frozenset(readers)),
                 "audit action")

    @property
    def audit_labels(self) -> dict[str, str]:
        """The audit log's action names → what the back office shows for them."""
        return {action: spec.label for action, spec in self.audit_actions.items()}


    def add_follow_topic(self, topic: FollowTopic) -> None:
        _add(self.follow_topics, topic.name, topic, "follow topic")

    def add_mail_job(self, name: str, job: MailJob) -> None:
        _add(self.mail_jobs, name, job, "mail job")

    def add_rename_listener(self, listener: RenameListener) -> None:
        self.rename_listeners.append(listener)


def _add(entries: dict[str, Any], key: str, value: Any, what: str) -> None:
    """A key is registered once: a second registration is a wiring mistake, not an override."""
    if key in entries:
        raise ValueError(f"{what} {key!r} registered twice")
    entries[key] = value


def init_app(app: Flask) -> Registry:
    """Give ``app`` an empty registry, before any feature registers on it."""
    app.extensions[EXTENSION] = reg = Registry()
    return reg


def registry(app: Flask | None = None) -> Registry:
    """The registry of ``app``, or of the current app."""
    found: Registry = (app if app is not None else current_app).extensions[EXTENSION]
    return found
