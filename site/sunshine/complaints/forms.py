"""Forms: the public case form, tracking, rating and reopening, and the handling steps.

Validators check shape only; the rules (which states follow which, who may do what) live in
the services.
"""

from __future__ import annotations

from wtforms import (
    BooleanField,
    HiddenField,
    MultipleFileField,
    RadioField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Optional, Regexp

from sunshine.complaints.models import (
    CATEGORIES,
    KIND_HINTS,
    PUBLIC_KINDS,
    RATING_LABELS,
)
from sunshine.forms import BaseForm, length, required
from sunshine.regions.picker import region_select
from sunshine.tracked.pages import code_field

SUBJECT_MAX = 100
BODY_MAX = 5000


class CaseForm(BaseForm):
    """The one public form; the kind comes first. Region selects are filled by the view."""

    kind = RadioField("您要办理什么事？", choices={k.value: f"{k.label}：{KIND_HINTS[k]}"
                                                for k in PUBLIC_KINDS},
                      validators=[required("请选择要办理的事项")])
    category = RadioField("问题属于哪一类？", choices={c: c for c in CATEGORIES},
                          validators=[required("请选择问题类别")])
    city = region_select("city")
    county = region_select("county")
    town = region_select("town")
    village = region_select("village")
    about_local_cadres = BooleanField(
        "我反映的是村干部或乡镇干部的问题",
        description="勾选后，直接交给县级部门办理，村和乡镇的工作人员看不到。")
    unit_name = StringField("涉及的单位或部门（可不填）", validators=[length(100)])
    subject = StringField("用一句话说明是什么事", validators=[
        required("请用一句话写明是什么事"), length(SUBJECT_MAX)],
        description=f"不超过 {SUBJECT_MAX} 个字，例如：村里的危房改造补助一直没有发。")
    body = TextAreaField("具体情况", validators=[required("请写明具体情况"), length(BODY_MAX)],
                         description="什么时间、什么地点、涉及哪些人和事、您希望怎样解决。"
                                     "请不要写身份证号、银行卡号。")
    photos = MultipleFileField("照片（可不传）",
                               description="最多 3 张，每张不超过 5 MB，JPEG、PNG 或 WebP 格式。"
                                           "照片里的拍摄位置等信息会被自动删除。")
    identity = RadioField("是否留下姓名和电话？", default="anonymous", choices={
        "anonymous": "匿名反映：不留姓名和电话，凭查询码查看办理结果",
        "named": "实名反映：留下姓名和电话，方便核实情况（只有督查人员能看到）"},
        validators=[required("请选择是否匿名")])
    name = StringField("姓名", validators=[length(30)], description="实名反映时填写。")
    phone = StringField("联系电话", validators=[length(20)],
                        description="实名反映时填写，手机号或带区号的固定电话。")
    consent = BooleanField("同意在隐去个人信息后，公开我的问题和答复，供其他群众参考")
    # Anti-abuse: a field that people never see (bots fill it) and a signed start time.
    website = StringField("请勿填写此项", validators=[length(200)])
    started = HiddenField()
    target_type = HiddenField()
    target_id = HiddenField(validators=[Optional(),
                                        Regexp(r"^\d{1,12}$", message="反映对象不正确")])


class RateForm(BaseForm):
    code = code_field()
    rating = RadioField("您对答复是否满意？", choices={r.value: label
                                                      for r, label in RATING_LABELS.items()},
                        validators=[required("请选择评价")])
    comment = TextAreaField("想说的话（可不填）", validators=[length(500)])


class ReopenForm(BaseForm):
    code = code_field()
    reason = TextAreaField("哪里不满意？", validators=[required("请说明哪里不满意"), length(1000)],
                           description="只能申请重新办理一次。")


# --- back office ---------------------------------------------------------------------------


class StepForm(BaseForm):
    """受理, 开始办理, 办结: an optional public explanation."""

    text = TextAreaField("给群众的说明（可不填）", validators=[length(2000)])


class RejectForm(BaseForm):
    reason = TextAreaField("不予受理的理由", validators=[required("请写明不予受理的理由"),
                                                       length(2000)])
    redirect_to = StringField("可以到哪里反映", validators=[
        required("请告诉群众可以到哪里反映"), length(300)],
        description="例如：县人民法院立案庭（诉讼服务热线 12368）。")


class TransferForm(BaseForm):
    region_code = StringField("转给哪个单位（区划代码）", validators=[
        required("请填写 12 位区划代码"), Regexp(r"^\d{12}$", message="区划代码应为 12 位数字")],
        description="乡镇或以上单位的 12 位区划代码。")
    reason = StringField("转办理由", validators=[required("请说明转办的理由"), length(300)])


class ReplyForm(BaseForm):
    text = TextAreaField("正式答复", validators=[required("请填写答复内容"), length(10_000)],
                         description="群众凭查询码可以看到；不能含身份证号、手机号或银行卡号。")


class NoteForm(BaseForm):
    text = TextAreaField("内部备注", validators=[required("请填写备注内容"), length(5000)],
                         description="只有工作人员能看到，不会告诉群众，也不会公开。")


class PublishForm(BaseForm):
    title = StringField("公开标题", validators=[required(), length(SUBJECT_MAX)])
    question = TextAreaField("问题（已隐去个人信息）", validators=[required(), length(BODY_MAX)])
    answer = TextAreaField("答复", validators=[required(), length(10_000)])


class ActionForm(BaseForm):
    """A button that changes something: CSRF only."""
