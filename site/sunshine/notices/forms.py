"""Forms: the public objection form and the back office's drafting, withdrawal, ruling and
finalizing forms. Shapes only; the rules live in the services."""

from __future__ import annotations

from wtforms import (
    DateField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Optional, Regexp

from sunshine.forms import BaseForm, length, required
from sunshine.notices.models import DRAFT_KINDS, Ruling
from sunshine.stats import vocab

BODY_MAX = 5000
DATE_HINT = "格式：2026-12-01"


class ObjectionForm(BaseForm):
    """异议: optionally about one household of the list; anonymous unless the objector says."""

    entry = SelectField("对哪一项有异议？", choices={}, validate_choice=False,
                        validators=[Optional(), Regexp(r"(?a)^\d{1,9}$", message="请从列表中选择")])
    body = TextAreaField("异议内容", validators=[required("请写明异议的事实和理由"),
                                                length(BODY_MAX)],
                         description="写明您认为不符合条件的事实和理由，例如家里有车有房、"
                                     "实际收入较高，或者符合条件却没有列入。"
                                     "请不要写身份证号、银行卡号。")
    identity = RadioField("是否留下姓名和电话？", default="anonymous", choices={
        "anonymous": "匿名：不留姓名和电话，凭查询码查看处理结果",
        "named": "实名：留下姓名和电话，方便核实（只有纪检督查人员能看到）"},
        validators=[required("请选择是否匿名")])
    name = StringField("姓名", validators=[length(30)], description="实名时填写。")
    phone = StringField("联系电话", validators=[length(20)],
                        description="实名时填写，手机号或带区号的固定电话。")
    # Anti-abuse, as on the complaints form: a field people never see and a signed start time.
    website = StringField("请勿填写此项", validators=[length(200)])
    started = HiddenField()


# --- back office ---------------------------------------------------------------------------


class DraftForm(BaseForm):
    # No DataRequired: it would mark the select required, which needs an empty first option;
    # the choice itself is checked by the field and the service.
    kind = SelectField("公示类型", choices={k.value: k.label for k in DRAFT_KINDS}, validators=[])
    region_code = StringField("发布地区（区划代码）", validators=[
        required("请填写区划代码"),
        Regexp(r"(?a)^[0-9]{12}$", message="区划代码应为 12 位半角数字")],
        description="村、乡镇或县的 12 位区划代码，只能是您负责的区划或其下级。")
    register_year = SelectField("名单年度", choices={str(y): f"{y}年" for y in
                                                  reversed(vocab.YEARS)},
                                default=str(vocab.LAST_YEAR), validators=[Optional()],
                                description="识别、退出和返贫公示：从贫困户档案中选这一年新识别、"
                                            "脱贫或返贫的户。")
    title = StringField("标题", validators=[required("请填写标题"), length(200)])
    body = TextAreaField("正文", validators=[length(20_000)],
                         description="可用 Markdown。写明公示依据、评议经过和异议方式；"
                                     "不能含身份证号、手机号或银行卡号。")
    start_on = DateField("公示开始日期",
                         validators=[required("请填写公示开始日期（例如 2026-12-01）")],
                         description=DATE_HINT)
    end_on = DateField("公示结束日期（可不填）", validators=[Optional()],
                       description="不填则按规定的最短公示期计算；只能比最短公示期更长。")
    source = HiddenField(validators=[Optional(), Regexp(r"(?a)^(project|fund):\d{1,9}$",
                                                        message="来源记录不正确")])


class HouseholdsForm(BaseForm):
    households = SelectMultipleField("选择要列入公示的户", choices=[], validate_choice=False,
                                     coerce=str)


class RecordForm(BaseForm):
    record_id = SelectField("选择记录", choices={}, validate_choice=False,
                            validators=[required("请选择要关联的记录"),
                                        Regexp(r"(?a)^\d{1,9}$", message="请从列表中选择")])


class WithdrawForm(BaseForm):
    reason = TextAreaField("撤回理由", validators=[required("请写明撤回理由"), length(1000)],
                           description="会显示在公示页面上。")


class RuleForm(BaseForm):
    ruling = RadioField("裁定结果", choices={r.value: r.label for r in Ruling},
                        validators=[required("请选择裁定结果")])
    reason = TextAreaField("裁定理由", validators=[required("请写明裁定理由"), length(1000)],
                           description="会告诉异议人，并在结果公告中公开（不显示异议人）。"
                                       "请勿写入个人姓名全名、身份证号或电话。")


class FinalizeForm(BaseForm):
    title = StringField("结果公告标题", validators=[required("请填写标题"), length(200)])
    body = TextAreaField("结果公告正文", validators=[length(20_000)])


class ActionForm(BaseForm):
    """A button that changes something: CSRF only."""
