"""Buyers' inquiries: sent to a listing on sale, read and answered by its seller only (the
buyer's contact never reaches a public page)."""

from __future__ import annotations

from sqlalchemy import select

from sunshine.accounts.models import User
from sunshine.database import utcnow
from sunshine.extensions import db
from sunshine.failures import PermissionDenied
from sunshine.market.models import Inquiry, Listing, ListingStatus, Seller
from sunshine.market.services import MarketError, seller_for
from sunshine.notify.outbox import tell


def send_inquiry(listing: Listing, quantity: str, contact: str, message: str) -> Inquiry:
    """A buyer's inquiry; it goes to the listing's seller only.

    :raise MarketError: the listing is not on sale, or a field is empty or too long.
    """
    if listing.status != ListingStatus.ON_SALE:
        raise MarketError("这个产品目前不在售")
    if not quantity.strip() or len(quantity) > 50:
        raise MarketError("请填写数量（50 字以内）", "quantity")
    if not contact.strip() or len(contact) > 100:
        raise MarketError("请填写联系方式（100 字以内）", "contact")
    if len(message) > 2000:
        raise MarketError("留言不能超过 2000 字", "message")
    inquiry = Inquiry(listing_id=listing.id, seller_id=listing.seller_id, quantity=quantity,
                      contact=contact, message=message)
    db.session.add(inquiry)
    db.session.flush()
    email = db.session.scalar(select(User.email).join(Seller, Seller.user_id == User.id)
                              .where(Seller.id == listing.seller_id))
    if email:
        # The buyer's contact and message stay behind the seller's login, not in the mail.
        tell(email, f"“{listing.name}”收到新的询价"[:200],
             [f"有买家询问“{listing.name}”，数量：{quantity.strip()[:50]}。",
              "买家的联系方式和留言请登录后查看。"],
             f"/market/my/inquiries/{inquiry.id}", "查看询价", kind="inquiry")
    db.session.commit()
    return inquiry


def answer_inquiry(user: User, inquiry: Inquiry, reply: str) -> Inquiry:
    """:raise PermissionDenied: not the seller the inquiry went to."""
    seller = seller_for(user)
    if seller is None or inquiry.seller_id != seller.id:
        raise PermissionDenied("not this seller's inquiry")
    if not reply.strip() or len(reply) > 2000:
        raise MarketError("请填写答复（2000 字以内）", "reply")
    inquiry.reply, inquiry.replied_at = reply, utcnow()
    db.session.commit()
    return inquiry
