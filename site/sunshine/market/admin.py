"""Back office /admin/market/: seller verification, the review queue, certification and
takedowns, all scoped to the staff member's region and audit-logged by the services."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from sunshine.accounts.models import Role, User
from sunshine.accounts.permissions import (
    PermissionDenied,
    can_access_region,
    check_region,
    region_scope,
    staff_required,
)
from sunshine.audit import record
from sunshine.extensions import db
from sunshine.guard import PersonalDataFound
from sunshine.market import queries, services
from sunshine.market.forms import ReasonForm
from sunshine.market.models import Inquiry, Listing, ListingStatus, Seller, SellerStatus
from sunshine.markup import render_markdown, stored_html
from sunshine.registry import Section, Tile
from sunshine.web import page_arg

bp = Blueprint("admin_market", __name__, url_prefix="/admin/market")
HANDLERS = (Role.ADMIN, Role.STAFF)
SECTION = Section("消费扶贫", "admin_market.index",
                  frozenset(r.value for r in HANDLERS))
ACTION_LABELS = {
    "market.seller_save": "保存销售主体资料", "market.seller_verify": "认证销售主体",
    "market.seller_reject": "驳回销售主体", "market.listing_save": "保存商品",
    "market.listing_submit": "提交商品审核", "market.listing_approve": "商品审核通过",
    "market.listing_takedown": "下架商品", "market.listing_certify": "认定扶贫产品",
    "market.listing_uncertify": "取消扶贫产品认定", "market.photo_add": "添加商品照片",
    "market.photo_remove": "删除商品照片", "market.inquiries_view": "查看购买意向联系方式",
}


def can_see(listing: Listing) -> bool:
    """Photos of a listing not on sale: its seller and the staff of its origin's county."""
    if listing.status == ListingStatus.ON_SALE:
        return True
    seller = services.seller_for(current_user)
    if seller is not None and seller.id == listing.seller_id:
        return True
    return can_access_region(current_user, listing.county_code)


def _seller(seller_id: int) -> Seller:
    seller = db.get_or_404(Seller, seller_id)
    try:
        check_region(current_user, seller.county_code)
    except PermissionDenied:
        abort(403)
    return seller


def _listing(listing_id: int) -> Listing:
    listing = db.get_or_404(Listing, listing_id)
    try:
        check_region(current_user, listing.county_code)
    except PermissionDenied:
        abort(403)
    return listing


@bp.get("/")
@staff_required(*HANDLERS)
def index() -> str:
    """Sellers to verify, listings to review, and every listing of the region."""
    scope = region_scope(current_user, Seller.county_code)
    listings = region_scope(current_user, queries.ORIGIN_COUNTY)
    pending_sellers = list(db.session.execute(select(Seller).where(
        scope, Seller.status == SellerStatus.PENDING).order_by(Seller.id)).scalars())
    status = request.args.get("status")
    query = select(Listing).where(listings)
    if status in [s.value for s in ListingStatus]:
        query = query.where(Listing.status == ListingStatus(status))
    page = db.paginate(query.order_by(Listing.updated_at.desc(), Listing.id.desc()),
                       page=page_arg(), per_page=30, error_out=False)
    queue = list(db.session.execute(select(Listing).where(
        listings, Listing.status == ListingStatus.PENDING).order_by(Listing.id)).scalars())
    sellers = list(db.session.execute(select(Seller).where(scope).order_by(Seller.id)
                                      .limit(200)).scalars())
    return render_template("market/admin/index.html", pending_sellers=pending_sellers,
                           queue=queue, page=page, status=status, statuses=list(ListingStatus),
                           sellers=sellers)


@bp.route("/sellers/<int:seller_id>", methods=["GET", "POST"])
@staff_required(*HANDLERS)
def seller(seller_id: int) -> Response | str | tuple[str, int]:
    """A seller's details; verify or refuse with a reason."""
    item = _seller(seller_id)
    form = ReasonForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            services.verify_seller(current_user, item, request.form.get("action") == "verify",
                                   form.reason.data or "")
        except services.MarketError as exc:
            db.session.rollback()
            form.reason.errors = [*form.reason.errors, exc.message]
            return render_template("market/admin/seller.html", seller=item, form=form), 400
        flash("已核实" if item.verified else "已标记为未通过", "success")
        return redirect(url_for("admin_market.seller", seller_id=item.id))
    return render_template("market/admin/seller.html", seller=item, form=form,
                           listings=queries.seller_listings(item))


@bp.route("/listings/<int:listing_id>", methods=["GET", "POST"])
@staff_required(*HANDLERS)
def listing(listing_id: int) -> Response | str | tuple[str, int]:
    """A listing as the public would see it; approve, certify or take down with a reason."""
    item = _listing(listing_id)
    form = ReasonForm()
    if request.method == "POST" and form.validate_on_submit():
        action = request.form.get("action")
        try:
            if action == "approve":
                services.approve_listing(current_user, item)
            elif action in ("certify", "uncertify"):
                services.certify(current_user, item, action == "certify")
            elif action == "takedown":
                services.take_down(current_user, item, form.reason.data or "")
            else:
                abort(400)
        except (services.MarketError, PersonalDataFound) as exc:
            db.session.rollback()
            form.reason.errors = [*form.reason.errors, exc.message]
            return render_template("market/admin/listing.html", listing=item, form=form,
                                   preview=stored_html(render_markdown(item.description_md)),
                                   inquiries=[]), 400
        flash("已处理", "success")
        return redirect(url_for("admin_market.listing", listing_id=item.id))
    return render_template("market/admin/listing.html", listing=item, form=form,
                           preview=stored_html(render_markdown(item.description_md)),
                           inquiries=None)


@bp.post("/listings/<int:listing_id>/inquiries")
@staff_required(*HANDLERS)
def inquiries(listing_id: int) -> str:
    """Handling staff read a listing's inquiries (e.g. on a complaint); each view is logged."""
    item = _listing(listing_id)
    rows = list(db.session.execute(select(Inquiry).where(Inquiry.listing_id == item.id)
                                   .order_by(Inquiry.id)).scalars())
    record("market.inquiries_view", current_user, "market_listing", item.id, item.origin_code)
    db.session.commit()
    return render_template("market/admin/listing.html", listing=item, form=ReasonForm(),
                           preview=stored_html(render_markdown(item.description_md)),
                           inquiries=rows)


def dashboard_tiles(user: User) -> list[Tile]:
    if user.role not in HANDLERS:
        return []
    scope = region_scope(user, Seller.county_code)
    sellers = db.session.scalar(select(func.count()).select_from(Seller).where(
        scope, Seller.status == SellerStatus.PENDING)) or 0
    listings = db.session.scalar(select(func.count()).select_from(Listing).where(
        region_scope(user, queries.ORIGIN_COUNTY), Listing.status == ListingStatus.PENDING)) or 0
    url = url_for("admin_market.index")
    return [Tile("待核实的销售主体", sellers, url, urgent=sellers > 0),
            Tile("待审核的农产品", listings, url, urgent=listings > 0)]
