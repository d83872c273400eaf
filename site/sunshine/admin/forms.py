"""Back-office forms for user management."""

from __future__ import annotations

from wtforms import PasswordField, SelectField, StringField

from sunshine.forms import BaseForm, length, required


class UserForm(BaseForm):
    username = StringField("用户名", validators=[required(), length(64, 3)],
                           description="字母、数字、下划线、点或短横线。")
    display_name = StringField("显示名称", validators=[length(64)])
    role = SelectField("角色", validators=[required()], choices=[])
    region_code = StringField("所属区划代码", validators=[length(12)],
                              description="12 位统计用区划代码；省级管理员可不填。")
    password = PasswordField("初始密码", validators=[required(), length(128)],
                             description="至少 10 个字符；请通过安全渠道告知本人并要求其修改。")


class ToggleForm(BaseForm):
    """An empty form: a button that carries only the CSRF token."""
