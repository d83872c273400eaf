"""Demo step: verified sellers (and one waiting) across the demo counties, listings in every
state with product pictures drawn with Pillow (no outside images). Deterministic for a seed."""

from __future__ import annotations

import io
import logging
import random
from decimal import Decimal

from PIL import Image, ImageDraw
from sqlalchemy import select

from sunshine.accounts.models import Role, User
from sunshine.accounts.services import hash_password
from sunshine.database import utcnow
from sunshine.demo.services import DemoContext
from sunshine.extensions import db
from sunshine.market.models import (
    Listing,
    ListingPhoto,
    ListingStatus,
    Seller,
    SellerKind,
    SellerStatus,
)
from sunshine.market.photos import PHOTOS
from sunshine.regions import codes
from sunshine.regions.province import province_code

log = logging.getLogger(__name__)

#: (name, category, unit, price range, colour, shape)
PRODUCTS = [
    ("百香果", "果蔬", "斤", (6, 12), (128, 40, 110), "circle"),
    ("沃柑", "果蔬", "斤", (4, 9), (245, 150, 30), "circle"),
    ("{tea}", "茶叶", "盒", (80, 260), (90, 60, 30), "box"),
    ("香米", "粮油", "袋", (40, 90), (240, 230, 200), "box"),
    ("山茶油", "粮油", "瓶", (60, 150), (220, 180, 40), "bottle"),
    ("土鸡", "畜禽", "只", (90, 180), (200, 120, 60), "circle"),
    ("禾花鱼", "水产", "斤", (25, 45), (110, 140, 160), "circle"),
    ("香菇干", "山货", "斤", (35, 70), (120, 80, 50), "circle"),
    ("竹编篮", "手工艺品", "件", (30, 120), (190, 160, 90), "box"),
]
#: The tea a province is known for, where the demo knows one.
TEAS = {"45": "六堡茶", "53": "普洱茶"}
LINKS = ["吸纳贫困户 8 人务工，月工资 2500 元以上。",
         "按保护价收购贫困户产品，优先收购。", "贫困户以扶贫资金入股，每年分红。"]


def draw_product(colour: tuple[int, int, int], shape: str, rng: random.Random) -> bytes:
    """A simple picture of the product: a shape on a soft background, as a JPEG."""
    image = Image.new("RGB", (800, 600), (236, 244, 226))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 450, 800, 600), fill=(180, 150, 110))
    for _ in range(rng.randint(2, 4)):
        x, y = rng.randint(120, 560), rng.randint(140, 300)
        if shape == "circle":
            draw.ellipse((x, y, x + 170, y + 170), fill=colour, outline=(60, 60, 60), width=3)
        elif shape == "bottle":
            draw.rectangle((x, y, x + 80, y + 220), fill=colour, outline=(60, 60, 60), width=3)
            draw.rectangle((x + 25, y - 40, x + 55, y), fill=(80, 80, 80))
        else:
            draw.rectangle((x, y, x + 200, y + 150), fill=colour, outline=(60, 60, 60), width=3)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def build(ctx: DemoContext) -> None:
    rng = random.Random(ctx.seed + 9)
    demo_seller = db.session.scalar(select(User).where(User.username == "seller-demo"))
    counties = ctx.counties[:12]
    hashed = demo_seller.password_hash if demo_seller else hash_password(ctx.password)
    province = province_code()
    tea = TEAS.get(province[:2], "高山绿茶")
    sellers: list[Seller] = []
    for i, county in enumerate(counties):
        villages = [v for v in ctx.villages if codes.in_subtree(v, county)]
        if not villages:
            continue
        if i == 0 and demo_seller is not None:
            user = demo_seller
        else:
            user = User(username=f"seller-{county[:6]}", display_name=f"合作社{i}",
                        password_hash=hashed, role=Role.SELLER, active=True)
            db.session.add(user)
            db.session.flush()
        seller = Seller(user_id=user.id, name=f"{rng.choice(['绿源', '山里', '丰收', '山乡'])}"
                        f"{rng.choice(['种植', '养殖', '农产品'])}专业合作社（{i + 1}）",
                        kind=SellerKind.COOPERATIVE, county_code=county,
                        village_code=rng.choice(villages),
                        licence=f"93{province[:6]}MA{rng.randint(1000000, 9999999)}",
                        poverty_link=rng.choice(LINKS),
                        intro="合作社带动周边村民种养，统一品种、统一标准、统一销售。",
                        status=SellerStatus.PENDING if i == len(counties) - 1
                        else SellerStatus.VERIFIED,
                        verified_at=None if i == len(counties) - 1 else utcnow())
        db.session.add(seller)
        sellers.append(seller)
    db.session.flush()
    count = 0
    for seller in sellers:
        villages = [v for v in ctx.villages if codes.in_subtree(v, seller.county_code)]
        for j, (product, category, unit, (low, high), colour, shape) in enumerate(
                rng.sample(PRODUCTS, 3)):
            name = product.format(tea=tea)
            status = ListingStatus.ON_SALE if seller.verified else ListingStatus.PENDING
            if seller.verified and j == 2 and rng.random() < 0.3:
                status = ListingStatus.DRAFT
            listing = Listing(
                seller_id=seller.id, name=f"{name}", category=category, unit=unit,
                price=Decimal(rng.randint(low * 100, high * 100)) / 100,
                variety="本地品种", spec=f"{rng.choice([1, 2, 5])}{unit}装", min_order=1,
                stock=rng.choice(["常年供应", "当季现摘", "库存充足"]),
                shelf_life=rng.choice(["7天", "12个月", "18个月"]),
                origin_code=rng.choice(villages),
                labels=rng.choice(["", "绿色", "地理标志", "绿色,有机"]),
                certified=seller.verified and rng.random() < 0.5,
                description_md=f"**{name}**产自山区贫困村，\n\n- 农户分散种养，合作社统一收购\n"
                               f"- 现采现发，品质有保证\n\n购买即是帮扶。",
                status=status,
                published_at=utcnow() if status == ListingStatus.ON_SALE else None)
            db.session.add(listing)
            db.session.flush()
            stored = PHOTOS.save(PHOTOS.clean(draw_product(colour, shape, rng)))
            db.session.add(ListingPhoto(listing_id=listing.id, filename=stored.filename,
                                        thumbnail=stored.thumbnail,
                                        content_type=stored.content_type,
                                        width=stored.width, height=stored.height))
            count += 1
    ctx.summary["market_sellers"] = len(sellers)
    ctx.summary["market_listings"] = count
    log.info("market demo: %d sellers, %d listings", len(sellers), count)
