"""Public pages: /market/ (filters, sort, pages), /market/<id>, seller profiles, inquiries,
photos, the CSV and the JSON API. No buyer's contact is read here except on the way in."""

from __future__ import annotations

import functools
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from markupsafe import Markup
from werkzeug.wrappers import Response as BaseResponse

from sunshine import pagecache
from sunshine.extensions import db, limiter
from sunshine.forms import show_error
from sunshine.market import inquiries, queries, services
from sunshine.market.forms import InquiryForm
from sunshine.market.models import (
    CATEGORIES,
    LABELS,
    Listing,
    ListingPhoto,
    ListingStatus,
)
from sunshine.market.photos import PHOTOS
from sunshine.markup import render_markdown, stored_html
from sunshine.pagecache.data import keep
from sunshine.records.export import csv_download, csv_text
from sunshine.records.listing import code_arg
from sunshine.web import page_arg, per_page_arg, render_form_page

bp = Blueprint("market", __name__, url_prefix="/market")
api_bp = Blueprint("market_api", __name__, url_prefix="/api/v1")

SORTS = {"new": "最新上架", "price": "价格从低到高", "price_desc": "价格从高到低"}


def _price_arg(name: str) -> Decimal | None:
    try:
        return services.parse_price(request.args.get(name))
    except services.MarketError:
        return None


def _filters() -> queries.Filters:
    args = request.args
    county = code_arg("county", level=3)
    sort = args.get("sort", "")
    return queries.Filters(
        category=args.get("category") if args.get("category") in CATEGORIES else None,
        county=county, label=args.get("label") if args.get("label") in LABELS else None,
        certified=args.get("certified") == "1", min_price=_price_arg("min_price"),
        max_price=_price_arg("max_price"),
        sort=sort if sort in SORTS else "new")


@functools.lru_cache(maxsize=256)
def _description(text: str) -> Markup:
    """A description through the one sanitizer, made once per worker for each text (Markdown
    costs a page a third of a millisecond); a changed description is another key."""
    return stored_html(render_markdown(text))


#: The query arguments of the list page.
INDEX_ARGS = ("category", "county", "label", "certified", "min_price", "max_price", "sort",
              "page")


@bp.get("/")
def index() -> Response:
    """消费扶贫: products on sale with filters, sort and pages; kept until any listing changes
    (the county menu lists the counties that have one)."""
    return pagecache.cached(_index, ("market", None), args=INDEX_ARGS)


def _index() -> str:
    filters = _filters()
    page = queries.card_page(filters, page_arg(), current_app.config["PAGE_SIZE"])
    return render_template("market/index.html", page=page, filters=filters,
                           categories=CATEGORIES, labels=LABELS, sorts=SORTS,
                           counties=queries.counties_with_listings())


@bp.get("/<int:listing_id>")
def detail(listing_id: int) -> Response:
    """One product: photos, origin, seller, other products, the inquiry form; kept until any
    listing or seller changes (the form's token is each visitor's own)."""
    listing = queries.public_card(listing_id) or abort(404)
    return pagecache.cached(lambda: render_template(
        "market/detail.html", **_product(listing), form=InquiryForm()), ("market", None))


def _product(listing: queries.Card) -> dict[str, Any]:
    """What a product's page shows besides the form: plain rows from three statements."""
    return {"listing": listing, "photos": queries.photo_ids([listing.id])[listing.id],
            "others": queries.other_listings(listing),
            "description": _description(queries.description_of(listing.id))}


@bp.post("/<int:listing_id>/inquiry")
@limiter.limit("20/hour")
def inquiry(listing_id: int) -> BaseResponse | tuple[str, int]:
    """Send an inquiry to the seller; only the seller sees the contact."""
    listing = queries.get_public(listing_id) or abort(404)
    form = InquiryForm()
    if form.validate_on_submit():
        try:
            inquiries.send_inquiry(listing, form.quantity.data, form.contact.data,
                                  form.message.data or "")
        except services.MarketError as exc:
            db.session.rollback()
            show_error(form, exc, "message")
        else:
            flash("询价已发给卖家，卖家会通过您留下的联系方式联系您。", "success")
            return redirect(url_for("market.detail", listing_id=listing.id))
    return render_form_page("market/detail.html", form=form,
                            **_product(queries.public_card(listing.id) or abort(404)))


@bp.get("/sellers/<int:seller_id>")
def seller(seller_id: int) -> Response:
    """A seller's public profile and products on sale; kept until the market of their county
    changes."""
    item = queries.verified_seller(seller_id) or abort(404)
    return pagecache.cached(lambda: _seller(item), ("market", item.county_code))


def _seller(item: queries.SellerRow) -> str:
    listings = queries.seller_cards(item.id, 100)
    return render_template("market/seller.html", seller=item, listings=listings)


@bp.get("/photos/<int:photo_id>/<kind>")
@keep(("market", None))
def photo(photo_id: int, kind: str) -> Response:
    """A photo (``full`` or ``thumb``) of a product on sale; the owner and staff see others."""
    from sunshine.market.admin import can_see

    item = db.get_or_404(ListingPhoto, photo_id)
    listing = db.session.get(Listing, item.listing_id)
    if kind not in ("full", "thumb") or listing is None or not can_see(listing):
        abort(404)
    name = item.filename if kind == "full" else item.thumbnail
    return PHOTOS.send(name, item.content_type,
                                public=listing.status == ListingStatus.ON_SALE)


CSV_HEADER = ["编号", "产品名称", "品类", "品种", "规格", "计价单位", "价格（元）", "起订量",
              "产地", "销售主体", "质量标识", "扶贫产品", "上架时间", "网址"]


@bp.get("/export.csv")
@keep(("market", None))
def export() -> Response:
    """The list's products (with its filters) as CSV."""
    rows = queries.card_rows(_filters(), 10_000)
    root = request.url_root.rstrip("/")
    body = csv_text(CSV_HEADER, ([
        x.id, x.name, x.category, x.variety, x.spec, x.unit, f"{x.price:.2f}", x.min_order,
        x.origin_name, x.seller_name, "、".join(x.label_list), "是" if x.certified else "否",
        x.published_at.date().isoformat() if x.published_at else "", root + x.url]
        for x in rows))
    return csv_download(body, "market.csv")


# --- JSON API --------------------------------------------------------------------------------


def api_item(listing: queries.Card, photos: list[int]) -> dict[str, object]:
    root = request.url_root.rstrip("/")
    return {
        "id": listing.id, "name": listing.name, "category": listing.category,
        "variety": listing.variety, "spec": listing.spec, "unit": listing.unit,
        "price": f"{listing.price:.2f}", "min_order": listing.min_order,
        "stock": listing.stock, "shelf_life": listing.shelf_life,
        "produced_on": listing.produced_on.isoformat() if listing.produced_on else None,
        "origin": {"code": listing.origin_code, "name": listing.origin_name},
        "seller": {"id": listing.seller_id, "name": listing.seller_name,
                   "kind": listing.seller_kind.label},
        "labels": listing.label_list, "certified": listing.certified,
        "published": listing.published_at.isoformat() if listing.published_at else None,
        "photos": [f"{root}/market/photos/{p}/full" for p in photos],
        "url": root + listing.url,
    }


@api_bp.get("/products")
@keep(("market", None))
def api_products() -> Response:
    per_page = per_page_arg(50)
    page = queries.card_page(_filters(), page_arg(), per_page)
    photos = queries.photo_ids([x.id for x in page.items])
    return jsonify(items=[api_item(x, photos[x.id]) for x in page.items], page=page.page,
                   per_page=per_page, total=page.total)


@api_bp.get("/products/<int:listing_id>")
@keep(("market", None))
def api_product(listing_id: int) -> tuple[Response, int] | Response:
    found = queries.public_card(listing_id)
    if found is None:
        return jsonify(error="没有这个产品"), 404
    item = api_item(found, queries.photo_ids([listing_id])[listing_id])
    item["description_html"] = str(_description(queries.description_of(listing_id)))
    return jsonify(item)


def sitemap_entries() -> list[tuple[str, datetime | None]]:
    from sqlalchemy import select

    rows = db.session.execute(select(Listing).where(Listing.status == ListingStatus.ON_SALE))
    entries: list[tuple[str, datetime | None]] = [("/market/", None)]
    sellers: set[int] = set()
    for listing in rows.scalars():
        entries.append((listing.url, listing.updated_at))
        sellers.add(listing.seller_id)
    entries += [(f"/market/sellers/{s}", None) for s in sorted(sellers)]
    return entries
