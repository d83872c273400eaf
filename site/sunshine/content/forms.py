"""The article editor form."""

from __future__ import annotations

from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional, Regexp

from sunshine.content.models import LEVELS
from sunshine.forms import BaseForm, length, required


class ArticleForm(BaseForm):
    title = StringField("标题", validators=[required("请填写标题"), length(200)])
    slug = StringField("网址标识", validators=[
        required("请填写网址标识"), length(100),
        Regexp(r"^[a-z0-9][a-z0-9-]*$", message="只能用小写字母、数字和短横线")],
        description="出现在网址里，例如 2024-chunji-zhongzi-butie。")
    category = SelectField("栏目 / 主题", choices=[], validators=[required()])
    level = SelectField("发文层级", choices={v: f"{v}级" for v in LEVELS}, validators=[required()])
    region_code = StringField("所属区划代码", validators=[required(), length(12, 12)],
                              description="12 位区划代码，只能是您负责的区划或其下级。")
    issuer = StringField("发布单位", validators=[length(100)])
    document_number = StringField("文号", validators=[length(100)])
    published_on = DateField("发布日期", validators=[required("请填写日期（例如 2024-06-01）")])
    expires_on = DateField("失效日期", validators=[Optional()], description="可不填。")
    tags = StringField("标签", validators=[length(200)], description="用逗号或空格分隔。")
    summary = TextAreaField("摘要", validators=[length(500)])
    body_md = TextAreaField("正文（Markdown）",
                            validators=[required("请填写正文"), length(100_000)],
                            description="支持标题（##）、列表、表格和脚注；"
                                        "不能含身份证号、手机号或银行卡号。")
    change_note = StringField("修改说明", validators=[length(300)],
                              description="修改已发布的文章时必填，会在页面上显示为“更新于……”。")


class UnpublishForm(BaseForm):
    reason = StringField("撤下原因", validators=[required("请说明撤下的原因"), length(300)])
