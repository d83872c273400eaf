"""Telling an applicant who left an e-mail address of each public step of their request.

The mail is queued in the transaction of the step (notify's outbox), so a step rolled back
sends nothing. It says what the tracking page's history says of the step and names the request
by its office and filing day only: never the tracking code (whoever reads the mailbox could
then read the whole request), the question or the applicant's name.
"""

from __future__ import annotations

from sunshine.clock import today
from sunshine.notify import outbox
from sunshine.requests import files
from sunshine.requests.models import EventType, InfoRequest, RequestEvent
from sunshine.requests.services import applicant_identity

TRACK = "/requests/track"

#: What the subject calls each step the applicant is told of.
STEP_LABELS = {
    EventType.EXTENDED: "答复期限延长",
    EventType.AMEND: "需要您补正申请",
    EventType.CONSULT: "征求第三方意见",
    EventType.CONSULTED: "第三方意见已返回",
    EventType.ANSWERED: "已答复",
    EventType.OVERDUE: "已超过答复期限",
    EventType.FILES: "答复补充了文件",
}


def tell_applicant(request: InfoRequest, event: RequestEvent) -> bool:
    """Queue a mail about ``event`` to the applicant's e-mail address, if they left one and
    the step is one they are told of; the caller commits. Returns whether a mail was queued."""
    label = STEP_LABELS.get(event.type)
    if label is None or not event.public or request.held:
        return False
    who = applicant_identity(request)
    address = who["email"].strip() if who else ""
    if not address:
        return False
    filed = today(request.received_at).isoformat()
    lines = [f"您于 {filed} 向{request.office.name}提出的政府信息公开申请有新进展：", event.text]
    if event.type is EventType.AMEND:
        lines.append("请在“办理查询”页面输入查询码后提交补正。")
    attached = files.count_of(request) if event.type is EventType.ANSWERED else 0
    if attached:
        lines.append(f"答复附有 {attached} 个文件，请在“办理查询”页面输入查询码后下载。")
    lines.append("请用您的查询码在“办理查询”页面查看完整经过和答复。")
    outbox.tell(address, f"您的政府信息公开申请：{label}", lines, TRACK, "办理查询",
                kind="request", now=event.at)
    return True
