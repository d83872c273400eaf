"""Names from the household register in a need's public text: the household's own members'
names are never published (a refusal at submission, verification and thanks), other people
registered in the village only warn staff (a common name may be a coincidence)."""

from __future__ import annotations

from sqlalchemy import select

from sunshine.extensions import db
from sunshine.matching.common import MatchingError, mask_name
from sunshine.matching.models import Need
from sunshine.stats.members import unpack as unpack_members
from sunshine.stats.models import MemberList
from sunshine.stats.rollup import village_range


def need_texts(need: Need) -> list[str]:
    """The need's texts that are published: title, story and the names of its lines."""
    return [need.title, need.story, *[item.name for item in need.items]]


def name_warnings(household_id: int, village_code: str, *texts: str) -> list[str]:
    """Names from the register that appear in the text: this household's members and the
    village's other registered people, masked. A warning for staff, not a refusal."""
    text = " ".join(t for t in texts if t)
    if not text:
        return []
    lo, hi = village_range(village_code)
    own: set[str] = set()
    village: set[str] = set()
    for hid, packed in db.session.execute(select(MemberList.household_id, MemberList.packed)
                                          .where(MemberList.household_id.between(lo, hi))):
        names = {member.name for member in unpack_members(packed)}
        (own if hid == household_id else village).update(names)
    found = [f"{mask_name(n)}（本户成员）" for n in sorted(own) if len(n) >= 2 and n in text]
    found += [f"{mask_name(n)}（本村登记人员）" for n in sorted(village - own)
              if len(n) >= 2 and n in text]
    return found


def warnings_for(need: Need) -> list[str]:
    return name_warnings(need.household_id, need.village_code, *need_texts(need), need.thanks_note)


def refuse_own_names(need: Need, *texts: str, field: str = "reason") -> None:
    """The household's own members' names are never published: a warning while drafting, a
    refusal at submission, verification and thanks. Other people of the village only warn
    (a common name may be a coincidence).

    :raise MatchingError: a member's name appears in the text.
    """
    own = [w for w in name_warnings(need.household_id, need.village_code, *texts)
           if w.endswith("（本户成员）")]
    if own:
        names = "、".join(w.removesuffix("（本户成员）") for w in own)
        raise MatchingError(f"内容中出现了受助户家庭成员的姓名（{names}），请改写后再提交",
                            field)
