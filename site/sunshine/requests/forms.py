"""Forms: the public request form, tracking and 补正, and the handling steps.

Validators check shape only; the rules (which steps follow which, the legal periods) live in
the services.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import NumberRange, Optional

from sunshine.forms import BaseForm, length, required
from sunshine.regions.picker import region_select
from sunshine.requests.files import ATTACHING, SLOTS
from sunshine.requests.models import (
    APPLICANT_TYPE_LABELS,
    BASES,
    OFFICE_KIND_LABELS,
    AppealKind,
    AppealResult,
    Delivery,
    Outcome,
)
from sunshine.tracked.pages import code_field

if TYPE_CHECKING:
    from sunshine.requests.staging import Kept

SUBJECT_MAX = 100
BODY_MAX = 5000


class RequestForm(BaseForm):
    """The public form. Region selects are filled by the view."""

    city = region_select("city")
    county = region_select("county")
    town = region_select("town")
    office_kind = RadioField("向哪个机关申请？", choices={k.value: label for k, label
                                                    in OFFICE_KIND_LABELS.items()},
                             validators=[required("请选择机关类型")],
                             description="扶贫资金和项目一般由县级乡村振兴局（扶贫办）公开；"
                                         "乡镇只有人民政府。")
    subject = StringField("申请公开什么信息", validators=[
        required("请用一句话写明要申请公开什么信息"), length(SUBJECT_MAX)],
        description=f"不超过 {SUBJECT_MAX} 个字，例如：某村 2024 年衔接资金的使用明细。")
    body = TextAreaField("信息的名称、文号或其他特征", validators=[
        required("请写明所需信息的名称、文号或者便于查找的其他特征"), length(BODY_MAX)],
        description="写清楚您要的是哪一份文件、哪一年、哪个地方的信息。"
                    "请不要写身份证号、银行卡号。")
    delivery = RadioField("希望以什么形式获取", default=Delivery.ONLINE.value,
                          choices={d.value: d.label for d in Delivery},
                          validators=[required("请选择获取信息的形式")])
    applicant_type = SelectField("申请人类型", default="person",
                                 choices={k.value: v for k, v in APPLICANT_TYPE_LABELS.items()},
                                 validators=[required("请选择申请人类型")])
    name = StringField("申请人姓名或单位名称", validators=[
        required("请填写申请人姓名或单位名称"), length(60)],
        description="依法需要实名申请。姓名和联系方式加密保存，只有办理机关和督查人员可以查看，"
                    "不会公开。")
    phone = StringField("联系电话", validators=[length(20)],
                        description="手机号或带区号的固定电话；电话和电子邮箱至少填一项。")
    email = StringField("电子邮箱", validators=[length(254)])
    address = StringField("邮寄地址", validators=[length(200)],
                          description="选择纸质邮寄时填写。")
    consent = BooleanField("同意在隐去个人信息后，公开我的申请内容和答复，供其他人查阅")
    about = HiddenField(validators=[length(200)])
    # Anti-abuse: a field that people never see (bots fill it) and a signed start time.
    website = StringField("请勿填写此项", validators=[length(200)])
    started = HiddenField()


class AmendForm(BaseForm):
    code = code_field()
    text = TextAreaField("补正内容", validators=[required("请填写补正的内容"), length(BODY_MAX)],
                         description="按机关的要求，把所需信息写得更具体。")


# --- back office -----------------------------------------------------------------------------


class ExtendForm(BaseForm):
    days = IntegerField("延长多少天", validators=[required("请填写延长的天数"),
                                                 NumberRange(1, 100, "天数不正确")])
    reason = TextAreaField("延长理由（申请人可以看到）", validators=[
        required("请写明延长答复期限的理由"), length(2000)])


class AmendAskForm(BaseForm):
    text = TextAreaField("需要补正的内容（申请人可以看到）", validators=[
        required("请写明需要补正的内容"), length(2000)])


class ConsultForm(BaseForm):
    text = StringField("征求哪一方的意见", validators=[required("请说明征求哪一方的意见"),
                                                   length(200)],
                       description="例如：项目施工企业。不要写个人姓名。")


class NoteForm(BaseForm):
    text = TextAreaField("内部备注", validators=[required("请填写备注内容"), length(5000)],
                         description="只有工作人员能看到，不会告诉申请人，也不会公开。")


class PublicTextForm(BaseForm):
    subject = StringField("公开的标题", validators=[required(), length(SUBJECT_MAX)])
    body = TextAreaField("公开的申请内容（已隐去个人信息）", validators=[length(BODY_MAX)])


class AppealForm(BaseForm):
    """The request and the office are chosen from lists the view fills (``appeals``)."""

    request = SelectField("涉及的申请", choices=[], validate_choice=False,
                          description="可选。选择后，机关按申请填写，年度默认为答复的年度。")
    office = SelectField("机关", choices=[], validate_choice=False,
                         description="没有选择申请时必选。")
    year = IntegerField("年度", validators=[Optional(), NumberRange(2008, 2100, "年度不正确")])
    kind = RadioField("类别", choices={k.value: k.label for k in AppealKind},
                      validators=[required("请选择类别")])
    result = RadioField("结果", choices={r.value: r.label for r in AppealResult},
                        validators=[required("请选择结果")])


class ActionForm(BaseForm):
    """A button that changes something: CSRF only."""


CLEAN_LABEL = "已核对：不含个人信息，可随答复公开（不勾选的只发给申请人）"


#: Kept files an answer form may list: its slots twice over (staff may choose too many).
MAX_KEPT = 2 * SLOTS


class AttachForm(BaseForm):
    """One more document for an answer already sent."""

    file = FileField("文件（PDF、JPEG 或 PNG 扫描件、CSV 或 XLSX 表格）")
    clean = BooleanField(CLEAN_LABEL)


class KeptFileForm(Form):
    """A file that passed its check on an answer form that came back with an error: its signed
    reference, its 已核对 box and a box to take it off. ``file`` is what the form lists (set
    by the view, not sent by the browser)."""

    ref = HiddenField()
    clean = BooleanField(CLEAN_LABEL)
    remove = BooleanField("不要这个文件")
    file: Kept | None = None


def answer_form(outcome: Outcome) -> type[BaseForm]:
    """The answer form of one outcome: its legal bases are the one required choice."""

    class AnswerForm(BaseForm):
        basis = RadioField("法律依据", choices={key: f"{b.label}（《条例》{b.article}）"
                                            for key, b in BASES[outcome].items()},
                           validators=[required("请选择答复的法律依据")])
        text = TextAreaField("答复内容", validators=[required("请填写答复内容"), length(20_000)],
                             description="申请人凭查询码可以看到；同意公开的，也会在公开目录中"
                                         "显示。不能含身份证号、手机号或银行卡号。")

    if outcome is Outcome.PARTIAL:
        AnswerForm.withheld = TextAreaField(
            "不予公开的部分", validators=[required("部分公开时，请写明不予公开的部分"),
                                   length(2000)])
    if outcome is Outcome.NOT_OURS:
        AnswerForm.referred_to = StringField(
            "负责公开的机关", validators=[required("请写明负责公开该信息的机关"),
                                   length(200)],
            description="机关名称和联系方式。")
    if outcome in ATTACHING:
        AnswerForm.kept = FieldList(FormField(KeptFileForm), max_entries=MAX_KEPT)
        for slot in range(1, SLOTS + 1):
            setattr(AnswerForm, f"file_{slot}", FileField(f"附件 {slot}"))
            setattr(AnswerForm, f"clean_{slot}", BooleanField(CLEAN_LABEL))
    AnswerForm.__name__ = f"AnswerForm_{outcome.value}"
    return AnswerForm


ANSWER_FORMS = {outcome: answer_form(outcome) for outcome in Outcome}
