"""The seller's own pages under /market/my/: profile, listings, photos, inquiries."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from sunshine import widgets
from sunshine.accounts.models import Role
from sunshine.extensions import db
from sunshine.failures import PermissionDenied
from sunshine.forms import set_field_error, show_error
from sunshine.guard import PersonalDataFound
from sunshine.market import inquiries, mine, photos, services
from sunshine.market.forms import ListingForm, PhotoForm, ReplyForm, SellerForm
from sunshine.market.models import (
    Inquiry,
    Listing,
    ListingPhoto,
    ListingStatus,
    SellerKind,
)
from sunshine.pagecache import memo
from sunshine.uploads import PhotoRejected
from sunshine.web import no_store, render_form_page

bp = Blueprint("market_seller", __name__, url_prefix="/market/my")
# Every page here is one seller's own: profile, listings, buyers' contacts.
bp.after_request(no_store)


def seller_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            from sunshine.extensions import login_manager

            return login_manager.unauthorized()
        if current_user.role != Role.SELLER:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def _own(listing_id: int) -> Listing:
    """The visitor's listing, to change it: 404 when there is none, 403 when it is another's."""
    listing = db.get_or_404(Listing, listing_id, options=[selectinload(Listing.photos)])
    try:
        services.own_listing(current_user, listing)
    except PermissionDenied:
        abort(403)
    return listing


@bp.get("/")
@seller_required
def home() -> str | Response:
    """The seller's page: status, listings and inquiries."""
    seller = mine.seller(current_user.id)
    if seller is None:
        return redirect(url_for("market_seller.profile"))
    return render_template("market/my/home.html", seller=seller,
                           listings=mine.listings(seller.id),
                           inquiries=mine.inquiries(seller.id))


@bp.route("/profile", methods=["GET", "POST"])
@seller_required
def profile() -> Response | tuple[str, int]:
    """Register or edit the seller profile (a new area needs verifying again)."""
    seller = mine.seller(current_user.id)
    values = seller.form_values() if seller is not None else None
    version = mine.region_version()
    if request.method != "POST":
        return render_form_page("market/my/profile.html", form=None,
                                fields=_profile_fields(values, version))
    form = _profile_form(values, version)
    if request.form.get("action") == "pick":
        return render_form_page("market/my/profile.html", 200, form=form,
                                fields=_profile_fields(values, version, form))
    if form.validate_on_submit():
        fields = services.SellerFields(
            name=form.name.data, kind=SellerKind(form.kind.data),
            village_code=form.village_code.data or "", licence=form.licence.data or "",
            poverty_link=form.poverty_link.data or "", intro=form.intro.data or "")
        try:
            services.save_seller(current_user, fields)
        except services.MarketError as exc:
            db.session.rollback()
            show_error(form, exc, "name")
        except PersonalDataFound as exc:
            db.session.rollback()
            set_field_error(form.poverty_link, exc.message)
        else:
            flash("已保存。县扶贫办核实后，您的产品即可上架。", "success")
            return redirect(url_for("market_seller.home"))
    return render_form_page("market/my/profile.html", form=form,
                            fields=_profile_fields(values, version, form))


def _profile_form(values: dict[str, str] | None, regions_version: tuple[int, ...],
                  formdata: bool = True) -> SellerForm:
    """The profile form with what was sent (unless not ``formdata``), or else filled in from
    the profile, with the counties and the chosen county's villages to choose from."""
    form = SellerForm(data=values) if formdata else SellerForm(formdata=None, data=values)
    county = form.county.data or (values["county"] if values else "")
    form.county.choices = [("", "请选择"), *mine.county_choices(regions_version)]
    villages = mine.village_names(county, regions_version) if county else []
    form.village_code.choices = [("", "请选择"), *villages]
    return form


def _profile_fields(values: dict[str, str] | None, regions_version: tuple[int, ...],
                    sent: SellerForm | None = None) -> Markup:
    """The profile form's fields: those of a form ``sent`` rendered for its sender alone; else
    those filled in from the profile, remembered per worker under every value they show and
    ``regions_version`` (they hold no token)."""
    def render(form: SellerForm) -> Markup:
        template = current_app.jinja_env.get_template("market/my/_profile_fields.html")
        return Markup(template.render(form=form))

    if sent is not None:
        return render(sent)
    key = tuple(values.values()) if values is not None else None
    return memo.remember("market-profile-fields", key, regions_version,
                         lambda: render(_profile_form(values, regions_version, False)))


def _listing_form(listing: mine.OwnListingForm | None, county: str, village: str,
                  submitted: bool, regions_version: tuple[int, ...]) -> ListingForm:
    """The listing form with what was ``submitted``, or else filled in from the listing (the
    seller's village for a new one), with the villages of the seller's county to choose the
    origin from."""
    form = ListingForm(obj=listing) if submitted else ListingForm(formdata=None, obj=listing)
    form.origin_code.choices = mine.village_choices(county, regions_version)
    if not submitted:
        if listing is not None:
            form.price.data = f"{listing.price:.2f}"
            form.min_order.data = str(listing.min_order)
            form.labels.data = listing.label_list
        else:
            form.origin_code.data = village
    return form


def _listing_fields(listing: mine.OwnListingForm | None, county: str, village: str,
                    regions_version: tuple[int, ...], sent: ListingForm | None = None) -> Markup:
    """The listing form's fields: those of a form ``sent`` back with errors rendered for its
    sender alone; else those filled in from the listing (or for a new one the seller's
    village), remembered per worker under every value they show (the listing's row, or the
    seller's county and village) and ``regions_version``. A seller reaches a listing's only
    after the view found it is theirs, and the fields hold no token."""
    def render(form: ListingForm) -> Markup:
        template = current_app.jinja_env.get_template("market/my/_listing_fields.html")
        return Markup(template.render(form=form))

    if sent is not None:
        return render(sent)
    key = ("edit", *listing[:-1]) if listing is not None else ("new", county, village)
    return memo.remember("market-listing-fields", key, regions_version, lambda: render(
        _listing_form(listing, county, village, False, regions_version)))


#: What the photo field accepts.
PHOTO_TYPES = "image/jpeg,image/png,image/webp"


def _photo_field(sent: PhotoForm | None = None) -> Markup:
    """The photo field: that of a form ``sent`` with an error, or the empty one, the same for
    every seller and remembered per worker."""
    if sent is not None:
        return widgets.form_field(sent.photos, accept=PHOTO_TYPES)
    return memo.remember("market-photo-field", None, (), lambda: widgets.form_field(
        PhotoForm(formdata=None, meta={"csrf": False}).photos, accept=PHOTO_TYPES))


def _fields(form: ListingForm) -> services.ListingFields:
    return services.ListingFields(
        name=form.name.data, category=form.category.data, unit=form.unit.data,
        price=services.parse_price(form.price.data), origin_code=form.origin_code.data or "",
        variety=form.variety.data or "", spec=form.spec.data or "",
        min_order=int(form.min_order.data), stock=form.stock.data or "",
        produced_on=form.produced_on.data, shelf_life=form.shelf_life.data or "",
        labels=list(form.labels.data or []), description_md=form.description_md.data or "")


@bp.route("/new", methods=["GET", "POST"])
@seller_required
def new() -> Response | tuple[str, int]:
    seller = mine.seller(current_user.id)
    if seller is None:
        flash("请先填写销售主体信息。", "info")
        return redirect(url_for("market_seller.profile"))
    return _edit(None, seller.county_code, seller.village_code)


def _own_row(listing_id: int) -> mine.OwnListingForm:
    """The listing for its page: 404 when there is none, 403 when it is another's."""
    listing = mine.listing(listing_id)
    if listing is None:
        abort(404)
    if listing.seller_user_id != current_user.id:
        abort(403)
    return listing


@bp.route("/<int:listing_id>/edit", methods=["GET", "POST"])
@seller_required
def edit(listing_id: int) -> Response | tuple[str, int]:
    listing = _own_row(listing_id)
    return _edit(listing, listing.seller_county_code, listing.seller_village_code)


#: Said after an edit that took a product off sale until staff review it.
REVIEW_AGAIN = "已保存。在售产品修改后需县扶贫办重新审核，审核通过前暂不展示。"


def _edit(listing: mine.OwnListingForm | None, county: str, village: str
          ) -> Response | tuple[str, int]:
    version = mine.region_version()
    if request.method != "POST":
        return render_form_page("market/my/edit.html", form=None, listing=listing,
                                fields=_listing_fields(listing, county, village, version),
                                findings=None, photo_field=_photo_field())
    form = _listing_form(listing, county, village, True, version)
    findings = None
    on_sale = listing is not None and listing.status == ListingStatus.ON_SALE
    if form.validate_on_submit():
        try:
            saved = services.save_listing(current_user, _fields(form),
                                          _own(listing.id) if listing is not None else None)
        except services.MarketError as exc:
            db.session.rollback()
            show_error(form, exc, "name")
        except PersonalDataFound as exc:
            db.session.rollback()
            set_field_error(form.description_md, exc.message)
            findings = exc.findings
        else:
            held = on_sale and saved.status == ListingStatus.PENDING
            flash(REVIEW_AGAIN if held else "已保存", "success")
            return redirect(url_for("market_seller.edit", listing_id=saved.id))
    return render_form_page("market/my/edit.html", form=form, listing=listing,
                            fields=_listing_fields(listing, county, village, version, form),
                            findings=findings, photo_field=_photo_field())


@bp.post("/<int:listing_id>/submit")
@seller_required
def submit(listing_id: int) -> Response | tuple[str, int]:
    """Put a draft on sale (or into review)."""
    listing = _own(listing_id)
    try:
        services.submit_listing(current_user, listing)
    except PersonalDataFound as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("market_seller.edit", listing_id=listing.id))
    except services.MarketError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash("已上架" if listing.status == ListingStatus.ON_SALE else
              "已提交，等待县扶贫办审核", "success")
    return redirect(url_for("market_seller.home"))


@bp.post("/<int:listing_id>/withdraw")
@seller_required
def withdraw(listing_id: int) -> Response:
    listing = _own(listing_id)
    try:
        services.take_down(current_user, listing, request.form.get("reason", "")[:450])
    except services.MarketError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash("已下架", "success")
    return redirect(url_for("market_seller.home"))


@bp.post("/<int:listing_id>/photos")
@seller_required
def upload(listing_id: int) -> Response | tuple[str, int]:
    listing = _own(listing_id)
    files = photos.PHOTOS.read(request.files.getlist("photos"))
    if not files:
        flash("请选择照片", "error")
        return redirect(url_for("market_seller.edit", listing_id=listing.id))
    on_sale = listing.status == ListingStatus.ON_SALE
    try:
        photos.add_photos(current_user, listing, files)
    except (PhotoRejected, services.MarketError) as exc:
        db.session.rollback()
        shown = _own_row(listing_id)
        photo_form = PhotoForm()
        set_field_error(photo_form.photos, exc.message)
        status = exc.status if isinstance(exc, PhotoRejected) else 400
        fields = _listing_fields(shown, shown.seller_county_code, shown.seller_village_code,
                                 mine.region_version())
        return render_form_page("market/my/edit.html", status, form=None, listing=shown,
                                fields=fields, findings=None, photo_form=photo_form,
                                photo_field=_photo_field(photo_form))
    flash(REVIEW_AGAIN if on_sale else "照片已上传", "success")
    return redirect(url_for("market_seller.edit", listing_id=listing.id))


@bp.post("/<int:listing_id>/photos/<int:photo_id>/delete")
@seller_required
def delete_photo(listing_id: int, photo_id: int) -> Response:
    listing = _own(listing_id)
    item = db.get_or_404(ListingPhoto, photo_id)
    try:
        photos.remove_photo(current_user, listing, item)
    except PermissionDenied:
        abort(403)
    flash("照片已删除", "success")
    return redirect(url_for("market_seller.edit", listing_id=listing.id))


@bp.route("/inquiries/<int:inquiry_id>", methods=["GET", "POST"])
@seller_required
def inquiry(inquiry_id: int) -> Response | tuple[str, int]:
    """One inquiry with the buyer's contact, and the answer."""
    item = mine.inquiry(inquiry_id)
    if item is None:
        abort(404)
    if item.seller_user_id != current_user.id:
        abort(403)
    form = ReplyForm()
    if form.validate_on_submit():
        try:
            inquiries.answer_inquiry(current_user, db.get_or_404(Inquiry, inquiry_id),
                                     form.reply.data)
        except services.MarketError as exc:
            db.session.rollback()
            set_field_error(form.reply, exc.message)
        else:
            flash("已答复", "success")
            return redirect(url_for("market_seller.inquiry", inquiry_id=inquiry_id))
    return render_form_page("market/my/inquiry.html", inquiry=item, form=form)
