"""Login, registration and password forms."""

from __future__ import annotations

from wtforms import BooleanField, PasswordField, RadioField, StringField

from sunshine.forms import BaseForm, length, required


class LoginForm(BaseForm):
    login = StringField("用户名、邮箱或手机号", validators=[required("请填写用户名"), length(64)])
    password = PasswordField("密码", validators=[required("请填写密码"), length(128)])
    remember = BooleanField("在这台设备上保持登录（公用电脑请勿勾选）")


class RegisterForm(BaseForm):
    role = RadioField(
        "注册身份",
        choices={"donor": "爱心人士（认领帮扶需求）", "seller": "销售主体（农户、合作社、企业）"},
        validators=[required("请选择注册身份")],
    )
    contact = StringField("邮箱或手机号", validators=[required("请填写邮箱或手机号"), length(254)],
                          description="用于登录，只有负责对接的工作人员能看到。")
    display_name = StringField("公开显示名称", validators=[length(64)],
                               description="可不填；爱心人士不填时显示为“爱心人士”。")
    password = PasswordField("密码", validators=[required("请设置密码"), length(128)],
                             description="至少 10 个字符，不要用常见密码。")
    confirm = PasswordField("再次输入密码", validators=[required("请再次输入密码"), length(128)])

    def validate_confirm(self, field: StringField) -> None:
        from wtforms.validators import ValidationError

        if field.data != self.password.data:
            raise ValidationError("两次输入的密码不一致")


class PasswordForm(BaseForm):
    current_password = PasswordField("当前密码", validators=[required(), length(128)])
    new_password = PasswordField("新密码", validators=[required(), length(128)],
                                 description="至少 10 个字符。修改后，所有设备上的登录都会退出。")
