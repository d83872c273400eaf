"""Back office for articles: list, write with preview, save, publish, unpublish, versions."""

from __future__ import annotations

import re

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from sunshine.accounts.models import Role, User
from sunshine.accounts.permissions import (
    PermissionDenied,
    check_region,
    region_scope,
    staff_required,
)
from sunshine.content import services
from sunshine.content.forms import ArticleForm, UnpublishForm
from sunshine.content.models import NEWS_CATEGORIES, POLICY_TOPICS, Article, Kind, Status
from sunshine.extensions import db
from sunshine.forms import set_field_error, show_error
from sunshine.guard import PersonalDataFound, check_publishable, find_personal_numbers
from sunshine.markup import render_markdown
from sunshine.regions.province import province_code
from sunshine.registry import Section, Tile
from sunshine.web import page_arg, render_form_page

bp = Blueprint("admin_content", __name__, url_prefix="/admin/content")
EDITORS = (Role.ADMIN, Role.EDITOR)
SECTION = Section("文章管理", "admin_content.index",
                  frozenset(r.value for r in EDITORS))
ACTION_LABELS = {"article_saved": "保存文章", "article_published": "发布文章",
                 "article_unpublished": "撤下文章"}


def _kind(value: str | None) -> Kind:
    try:
        return Kind(value or "news")
    except ValueError:
        abort(404)


def _article(article_id: int) -> Article:
    article = db.get_or_404(Article, article_id)
    check_region(current_user, article.region_code)
    return article


@bp.get("/")
@staff_required(*EDITORS)
def index() -> str:
    """Articles in the editor's region, newest change first."""
    kind = Kind(request.args["kind"]) if request.args.get("kind") in ("news", "policy") else None
    status = Status(request.args["status"]) \
        if request.args.get("status") in [s.value for s in Status] else None
    page = db.paginate(services.admin_query(current_user, kind, status), page=page_arg(),
                       per_page=30, error_out=False)
    return render_template("content/admin/index.html", page=page, kind=kind, status=status,
                           statuses=list(Status))


def _form(kind: Kind, article: Article | None = None) -> ArticleForm:
    form = ArticleForm(obj=article)
    choices = NEWS_CATEGORIES if kind is Kind.NEWS else POLICY_TOPICS
    form.category.choices = {c: c for c in choices}
    if article is not None and request.method == "GET":
        form.tags.data = " ".join(article.tags or [])
    if article is None and request.method == "GET":
        form.region_code.data = current_user.region_code or province_code()
    return form


def _fields(form: ArticleForm, kind: Kind) -> services.ArticleFields:
    tags = [t for t in re.split(r"[,，\s]+", form.tags.data or "") if t][:20]
    return services.ArticleFields(
        kind=kind, title=form.title.data.strip(), slug=form.slug.data.strip(),
        summary=(form.summary.data or "").strip(), body_md=form.body_md.data,
        category=form.category.data, level=form.level.data,
        region_code=form.region_code.data.strip(), issuer=(form.issuer.data or "").strip(),
        published_on=form.published_on.data, expires_on=form.expires_on.data, tags=tags,
        document_number=(form.document_number.data or "").strip())


@bp.route("/new", methods=["GET", "POST"])
@staff_required(*EDITORS)
def new() -> Response | tuple[str, int]:
    kind = _kind(request.args.get("kind"))
    return _edit(kind, None)


@bp.route("/<int:article_id>/edit", methods=["GET", "POST"])
@staff_required(*EDITORS)
def edit(article_id: int) -> Response | tuple[str, int]:
    article = _article(article_id)
    return _edit(article.kind, article)


def _edit(kind: Kind, article: Article | None) -> Response | tuple[str, int]:
    """One page: write, preview (server-rendered), save, or save and publish."""
    form = _form(kind, article)
    preview = findings = None
    action = request.form.get("action", "save")
    if article is not None and article.source_path:
        flash("这篇文章来自 content/ 文件，只能通过修改文件来更新。", "info")
    if form.validate_on_submit():
        findings = find_personal_numbers(
            "\n".join([form.title.data or "", form.summary.data or "", form.body_md.data or ""]))
        if action == "preview":
            preview = render_markdown(form.body_md.data)
            return render_form_page("content/admin/edit.html", 200, form=form, kind=kind,
                                    article=article, preview=preview, findings=findings)
        try:
            if action == "publish":
                # Refuse before saving anything, so nothing half-published is left behind.
                check_publishable(form.title.data, form.summary.data or "", form.body_md.data)
            saved = services.save_article(current_user, _fields(form, kind), article,
                                          form.change_note.data or "")
            if action == "publish" and saved.status != Status.PUBLISHED:
                services.publish(saved, current_user)
        except services.ArticleError as exc:
            db.session.rollback()
            show_error(form, exc, "title")
        except PersonalDataFound as exc:
            db.session.rollback()
            set_field_error(form.body_md, exc.message)
            findings = exc.findings
        except PermissionDenied:
            db.session.rollback()
            set_field_error(form.region_code, "这个区划不在您的负责范围内")
        else:
            flash("已发布" if saved.status == Status.PUBLISHED else "已保存草稿", "success")
            return redirect(url_for("admin_content.edit", article_id=saved.id))
    return render_form_page("content/admin/edit.html", form=form, kind=kind, article=article,
                            preview=preview, findings=findings)


@bp.post("/preview")
@staff_required(*EDITORS)
def preview() -> Response:
    """The live preview's fragment: sanitized HTML and the publish guard's findings."""
    text = request.form.get("body_md", "")[:100_000]
    findings = find_personal_numbers(text)
    return Response(render_template("content/admin/_preview.html",
                                    preview=render_markdown(text), findings=findings),
                    mimetype="text/html")


@bp.route("/<int:article_id>/unpublish", methods=["GET", "POST"])
@staff_required(*EDITORS)
def unpublish(article_id: int) -> Response | tuple[str, int]:
    article = _article(article_id)
    form = UnpublishForm()
    if form.validate_on_submit():
        try:
            services.unpublish(article, current_user, form.reason.data)
        except services.ArticleError as exc:
            db.session.rollback()
            set_field_error(form.reason, exc.message)
        else:
            flash("已撤下", "success")
            return redirect(url_for("admin_content.index"))
    return render_form_page("content/admin/unpublish.html", form=form, article=article)


@bp.get("/<int:article_id>/versions")
@staff_required(*EDITORS)
def versions(article_id: int) -> str:
    """Every kept version, newest first."""
    article = _article(article_id)
    return render_template("content/admin/versions.html", article=article)


def dashboard_tiles(user: User) -> list[Tile]:
    """Editors see how many drafts wait in their region."""
    if user.role.value not in {r.value for r in EDITORS}:
        return []
    drafts = db.session.scalar(select(func.count()).select_from(Article).where(
        Article.status == Status.DRAFT, region_scope(user, Article.region_code))) or 0
    return [Tile("待发布的文章草稿", drafts, url_for("admin_content.index", status="draft"),
                 urgent=drafts > 0)]
