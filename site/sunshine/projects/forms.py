"""Back-office forms for projects and their progress updates."""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Optional, Regexp

from sunshine.forms import BaseForm, length, required
from sunshine.projects.models import ALL_STAGES, CATEGORIES, STAGES
from sunshine.records.forms import REGION, AmountField, date_field, year_field

COUNT = [Optional(), Regexp(r"(?a)^[0-9]{1,8}$", message="应为半角数字（整数）")]


class ProjectForm(BaseForm):
    name = StringField("项目名称", validators=[required("请填写项目名称"), length(200)])
    category = SelectField("项目类别", choices={c: c for c in CATEGORIES})
    region_code = StringField("所在地区代码", validators=REGION,
                              description="12 位区划代码，可以到村。")
    year = year_field("项目年度")
    budget = AmountField("预算（元）", validators=[required("请填写预算")])
    implementing_unit = StringField("实施单位", validators=[required("请填写实施单位"),
                                                        length(200)])
    responsible_role = StringField("责任人职务", validators=[length(100)],
                                   description="填写职务，例如“县交通运输局局长”，不填个人电话。")
    stage = SelectField("项目阶段", choices={s: s for s in STAGES}, validators=[Optional()])
    summary = TextAreaField("建设内容", validators=[length(2000)])
    targets = TextAreaField("绩效目标", validators=[length(1000)])
    mechanism = TextAreaField("带贫减贫机制", validators=[length(1000)])
    beneficiary_households = StringField("受益户数", validators=COUNT)
    beneficiary_people = StringField("受益人数", validators=COUNT)
    beneficiary_poor_households = StringField("其中建档立卡贫困户数", validators=COUNT)
    approved_on = date_field("立项批复日期", optional=True)
    planned_start = date_field("计划开工日期", optional=True)
    planned_end = date_field("计划完工日期", optional=True)
    actual_start = date_field("实际开工日期", optional=True)
    actual_end = date_field("实际完工日期", optional=True)
    reason = StringField("更正原因", validators=[length(300)],
                         description="更正已公开的项目时必填，会在公开页面的修改历史中显示。")


class ProgressForm(BaseForm):
    on = date_field("进展日期")
    stage = SelectField("阶段", choices={s: s for s in ALL_STAGES})
    text = TextAreaField("进展说明", validators=[required("请填写进展说明"), length(1000)])
    reason = StringField("终止原因", validators=[length(300)], description="项目终止时必填。")
    photo = FileField("现场照片", validators=[Optional()],
                      description="可不传；JPEG、PNG 或 WebP，不超过 5 MB。"
                                  "照片的拍摄位置等信息会被去除。")
