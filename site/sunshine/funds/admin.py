"""Back office for allocations: drafts, publishing, corrections, lines, spending, withdrawals,
and the disclosure deadlines on the dashboard. Region scoped: another county's record answers
403 and the attempt is written to the audit log."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from sunshine.accounts.models import User
from sunshine.accounts.permissions import region_scope, staff_required
from sunshine.audit import deny
from sunshine.clock import today
from sunshine.extensions import db
from sunshine.failures import PermissionDenied
from sunshine.forms import show_error
from sunshine.funds import services
from sunshine.funds.forms import FundForm, LineForm, SpendingForm
from sunshine.funds.models import Fund, FundLine, Spending
from sunshine.guard import PersonalDataFound
from sunshine.projects.models import Project
from sunshine.records import ledger
from sunshine.records import views as record_views
from sunshine.records.checks import RecordError
from sunshine.records.deadlines import deadline_counts, warning_day
from sunshine.records.forms import ReasonForm
from sunshine.records.models import State
from sunshine.records.views import WORKERS, guard
from sunshine.registry import Section, Tile
from sunshine.web import page_arg, render_form_page

bp = Blueprint("admin_funds", __name__, url_prefix="/admin/funds")
SECTION = Section("资金管理", "admin_funds.index", frozenset(r.value for r in WORKERS))
#: Labels of this feature's audit-log actions, registered by its ``init_app``.
ACTION_LABELS = {
    "fund_created": "新建资金草稿", "fund_updated": "修改资金草稿", "fund_published": "公开资金",
    "fund_corrected": "更正资金", "fund_withdrawn": "撤回资金", "fund_line_added": "分配资金",
    "fund_line_withdrawn": "撤回资金分配", "fund_spent": "登记支出",
    "fund_spending_corrected": "更正支出", "fund_spending_withdrawn": "撤回支出",
}


FUND = record_views.RecordKind(
    "fund", "admin_funds.manage", "fund_id", create=services.create_fund,
    correct=services.correct_fund, update_draft=services.update_draft,
    publish=services.publish_fund, withdraw=services.withdraw_fund)


def _fund(fund_id: int) -> Fund:
    fund = db.get_or_404(Fund, fund_id)
    guard("fund", fund.id, fund.region_code)
    return fund


def fields_from(form: FundForm) -> services.FundFields:
    return services.FundFields(
        year=int(form.year.data), name=form.name.data or "",
        document_number=form.document_number.data or "", issuer=form.issuer.data or "",
        source_level=form.source_level.data, fund_type=form.fund_type.data,
        amount=form.amount.valid_amount,
        region_code=(form.region_code.data or "").strip(),
        purpose=form.purpose.data or "", issued_on=form.issued_on.data)


@bp.get("/")
@staff_required(*WORKERS)
def index() -> str:
    """Allocations of the user's region, drafts by deadline first."""
    state = request.args.get("state")
    query = select(Fund).where(region_scope(current_user, Fund.region_code))
    if state in {s.value for s in State}:
        query = query.where(Fund.state == state)
    if state == State.DRAFT.value:
        query = query.order_by(Fund.deadline, Fund.id)
    else:
        query = query.order_by(Fund.updated_at.desc(), Fund.id.desc())
    page = db.paginate(query, page=page_arg(), per_page=30, error_out=False)
    return render_template("funds/admin/index.html", page=page, state=state, states=list(State),
                           today=today(), warn=warning_day())


@bp.route("/new", methods=["GET", "POST"])
@staff_required(*WORKERS)
def new() -> Response | tuple[str, int]:
    """A new allocation, saved as a draft (and published at once if asked)."""
    return record_views.new(FUND, FundForm(), fields_from, "新建资金下达")


@bp.route("/<int:fund_id>/edit", methods=["GET", "POST"])
@staff_required(*WORKERS)
def edit(fund_id: int) -> Response | tuple[str, int]:
    """Change a draft, or correct a published allocation (a new version with a reason)."""
    fund = _fund(fund_id)
    if fund.state == State.WITHDRAWN.value:
        abort(404)
    form = FundForm(obj=fund if request.method == "GET" else None)
    if request.method == "GET":
        form.year.data, form.amount.data = str(fund.year), str(fund.amount)
    return record_views.edit(FUND, fund, form, fields_from)


@bp.post("/<int:fund_id>/publish")
@staff_required(*WORKERS)
def publish(fund_id: int) -> Response:
    return record_views.publish(FUND, _fund(fund_id))


@bp.route("/<int:fund_id>/withdraw", methods=["GET", "POST"])
@staff_required(*WORKERS)
def withdraw(fund_id: int) -> Response | tuple[str, int]:
    return record_views.withdraw(FUND, _fund(fund_id))


def _project_choices(fund: Fund, lined_only: bool) -> dict[str, str]:
    from sunshine.regions import codes

    if lined_only:
        ids = select(FundLine.project_id).where(FundLine.fund_id == fund.id,
                                                FundLine.state == State.PUBLISHED.value)
        query = select(Project).where(Project.id.in_(ids))
    else:
        lo, hi = codes.subtree_bounds(fund.region_code)
        query = select(Project).where(Project.state == State.PUBLISHED.value,
                                      Project.region_code.between(lo, hi),
                                      Project.stage != "终止").order_by(Project.year.desc())
    projects = db.session.execute(query.order_by(Project.id.desc()).limit(300)).scalars()
    return {"": "（不选）", **{str(p.id): f"{p.year} {p.name}" for p in projects}}


@bp.route("/<int:fund_id>", methods=["GET", "POST"])
@staff_required(*WORKERS)
def manage(fund_id: int) -> Response | tuple[str, int]:
    """One allocation: its lines and spending, with forms to add both."""
    fund = _fund(fund_id)
    line_form = LineForm(prefix="line")
    spending_form = SpendingForm(prefix="spend")
    line_form.project_id.choices = _project_choices(fund, lined_only=False)
    spending_form.project_id.choices = _project_choices(fund, lined_only=True)
    status = None
    if request.method == "POST":
        status = 400
        kind = request.form.get("form")
        try:
            if kind == "line" and line_form.validate_on_submit():
                project = line_form.project_id.data
                services.add_line(current_user, fund, line_form.region_code.data or None,
                                  int(project) if project else None,
                                  line_form.amount.valid_amount,
                                  line_form.purpose.data or "")
                flash("已分配，已写入公开记录", "success")
                return redirect(url_for("admin_funds.manage", fund_id=fund.id))
            if kind == "spending" and spending_form.validate_on_submit():
                project = spending_form.project_id.data
                services.record_spending(current_user, fund, services.SpendingFields(
                    amount=spending_form.amount.valid_amount,
                    paid_on=spending_form.paid_on.data,
                    payee=spending_form.payee.data or "", purpose=spending_form.purpose.data or "",
                    voucher=spending_form.voucher.data or "",
                    project_id=int(project) if project else None))
                flash("已登记支出，已写入公开记录", "success")
                return redirect(url_for("admin_funds.manage", fund_id=fund.id))
        except PermissionDenied:
            deny("fund", fund.id, fund.region_code)
        except (RecordError, PersonalDataFound) as exc:
            db.session.rollback()
            show_error(line_form if kind == "line" else spending_form, exc)
    lines = list(db.session.execute(select(FundLine).where(FundLine.fund_id == fund.id)
                                    .order_by(FundLine.id)).scalars())
    spending = list(db.session.execute(select(Spending).where(Spending.fund_id == fund.id)
                                       .order_by(Spending.paid_on.desc(), Spending.id.desc())
                                       .limit(200)).scalars())
    return render_form_page("funds/admin/manage.html", status, fund=fund, lines=lines,
                            spending=spending, line_form=line_form, spending_form=spending_form,
                            history=ledger.history("fund", fund.id), today=today())


@bp.route("/lines/<int:line_id>/withdraw", methods=["GET", "POST"])
@staff_required(*WORKERS)
def withdraw_line(line_id: int) -> Response | tuple[str, int]:
    line = db.get_or_404(FundLine, line_id)
    fund = _fund(line.fund_id)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            services.withdraw_line(current_user, line, form.reason.data)
        except RecordError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            flash("已撤回这项分配", "success")
            return redirect(url_for("admin_funds.manage", fund_id=fund.id))
    return render_form_page(record_views.TEMPLATE, form=form, back=FUND.manage_url(fund),
                            title=f"撤回分配（{line.amount} 元）")


def _spending(spending_id: int) -> Spending:
    spending = db.get_or_404(Spending, spending_id)
    guard("fund", spending.fund_id, spending.region_code)
    return spending


@bp.route("/spending/<int:spending_id>/edit", methods=["GET", "POST"])
@staff_required(*WORKERS)
def edit_spending(spending_id: int) -> Response | tuple[str, int]:
    """Correct a spending record: a new version with a reason."""
    spending = _spending(spending_id)
    if spending.state != State.PUBLISHED.value:
        abort(404)
    form = SpendingForm(obj=spending if request.method == "GET" else None)
    del form.project_id
    if request.method == "GET":
        form.amount.data = str(spending.amount)
    if form.validate_on_submit():
        try:
            services.correct_spending(current_user, spending, services.SpendingFields(
                amount=form.amount.valid_amount, paid_on=form.paid_on.data,
                payee=form.payee.data or "", purpose=form.purpose.data or "",
                voucher=form.voucher.data or ""),
                form.reason.data or "")
        except (RecordError, PersonalDataFound) as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            flash("已更正支出", "success")
            return redirect(url_for("admin_funds.manage", fund_id=spending.fund_id))
    return render_form_page(record_views.TEMPLATE, form=form, back=FUND.manage_url(spending.fund),
                            title="更正支出", correcting=True)


@bp.route("/spending/<int:spending_id>/withdraw", methods=["GET", "POST"])
@staff_required(*WORKERS)
def withdraw_spending(spending_id: int) -> Response | tuple[str, int]:
    spending = _spending(spending_id)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            services.withdraw_spending(current_user, spending, form.reason.data)
        except RecordError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            flash("已撤回这条支出", "success")
            return redirect(url_for("admin_funds.manage", fund_id=spending.fund_id))
    return render_form_page(record_views.TEMPLATE, form=form, back=FUND.manage_url(spending.fund),
                            title=f"撤回支出（{spending.amount} 元）")


def dashboard_tiles(user: User) -> list[Tile]:
    """Allocations waiting to be disclosed, and those nearing or past their deadline."""
    if user.role not in WORKERS:
        return []
    drafts, soon, late = deadline_counts(Fund, user)
    url = url_for("admin_funds.index", state="draft")
    return [Tile("待公开的资金", drafts, url),
            Tile("资金即将到公开期限", soon, url, urgent=soon > 0),
            Tile("资金已逾期未公开", late, url, urgent=late > 0)]
