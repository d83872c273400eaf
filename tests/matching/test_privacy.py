"""No household member's name, ID number, archive number or cadre, and no donor's contact,
appears on /help pages, the CSV, the API, the sitemap, the search index or search results."""

from __future__ import annotations

from decimal import Decimal

from whoosh import index as whoosh_index

from sunshine.extensions import db
from sunshine.matching import delivery, needs, pledges
from sunshine.matching.models import Need, Pledge
from sunshine.search.index import rebuild
from tests.conftest import SAMPLE
from tests.matching.conftest import HOUSEHOLD, MEMBER_ID_MASKED, MEMBER_NAMES, make_need

DONOR_CONTACT = "wechat-private-8866"
SECRETS = [*MEMBER_NAMES, MEMBER_ID_MASKED, f"{HOUSEHOLD:016d}", str(HOUSEHOLD), "帮扶干部甲",
           DONOR_CONTACT, "donor-a@example.cn", "13800138000", "donor-a", "donor-b"]


def test_household_and_donor_details_never_public(app, client, users):
    goods = make_need(users, title="初中生需要校服", story="孩子在镇中学读书。")
    money = make_need(users, items=[], amount=Decimal("800"), title="住院自付费用")
    made = pledges.pledge(users["donor"], goods.id, goods.items[0].id, 10, pledges.PledgeDetails(
        display_name="张善人", contact=DONOR_CONTACT, message=DONOR_CONTACT))
    pledges.pledge(users["donor2"], money.id, money.items[0].id, 80000,
                   pledges.PledgeDetails(anonymous=True, contact=DONOR_CONTACT))
    code = delivery.record_delivery(users["town"], made)
    delivery.confirm_with_code(code)
    needs.thank(users["town"], db.session.get(Need, goods.id), "谢谢好心人")
    rebuild(app.config["SEARCH_INDEX_DIR"])
    urls = ["/help/", "/help/?state=all", f"/help/{goods.id}", f"/help/{money.id}",
            "/help/export.csv?state=all", "/api/v1/needs?state=all", f"/api/v1/needs/{goods.id}",
            f"/api/v1/needs/{money.id}", "/help/thanks", f"/help/thanks?region={SAMPLE['village']}",
            "/sitemap.xml", "/search?q=校服", "/search?q=住院", "/search?q=爱心帮扶&type=need",
            "/help/confirm"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        text = response.get_data(as_text=True)
        for secret in SECRETS:
            assert secret not in text, (secret, url)
    assert "初中生需要校服" in client.get("/search?q=校服").get_data(as_text=True)
    ix = whoosh_index.open_dir(app.config["SEARCH_INDEX_DIR"])
    with ix.searcher() as searcher:
        for fields in searcher.all_stored_fields():
            stored = " ".join(str(v) for v in fields.values())
            for secret in SECRETS:
                assert secret not in stored, (secret, fields.get("id"))
    assert db.session.get(Pledge, made.id).contact == DONOR_CONTACT  # kept for staff


def test_a_members_name_is_refused_at_submission(users):
    need = make_need(users, publish=False, title=f"{MEMBER_NAMES[1]}家需要棉被")
    try:
        needs.submit(users["town"], need)
    except needs.MatchingError as exc:
        assert MEMBER_NAMES[1] not in exc.message and "韦*雀" in exc.message
    else:  # pragma: no cover
        raise AssertionError("a member's name was submitted for publication")


def test_delivery_codes_outlive_a_new_secret_key_with_their_own_pepper(app):
    code = "123456789012"
    derived = delivery.code_hash(code)
    app.config["DELIVERY_CODE_PEPPER"] = "p" * 40
    peppered = delivery.code_hash(code)
    assert peppered != derived
    app.config["SECRET_KEY"] = "another secret key, as after a rotation!"
    assert delivery.code_hash(code) == peppered
