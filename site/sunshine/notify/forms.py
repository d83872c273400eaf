"""The follow form and the form that asks for a link to one's subscriptions."""

from __future__ import annotations

from wtforms import EmailField, HiddenField, RadioField, StringField

from sunshine.forms import BaseForm, length, required
from sunshine.notify.models import Mode

MODES = {m.value: m.label for m in Mode}


class FollowForm(BaseForm):
    """关注: also drawn by the ``follow_form`` macro on kept public pages, whose CSRF token the
    page cache fills in for each visitor."""

    email = EmailField("电子邮箱", validators=[required("请填写电子邮箱"), length(254)])
    mode = RadioField("发送方式", choices=MODES, default=Mode.IMMEDIATE.value,
                      validators=[required("请选择发送方式")])
    topic = HiddenField(validators=[length(16)])
    key = HiddenField(validators=[length(200)])
    website = StringField("请勿填写此项", validators=[length(200)])


class ManageRequestForm(BaseForm):
    email = EmailField("电子邮箱", validators=[required("请填写电子邮箱"), length(254)],
                       description="我们会把查看和退订全部关注的链接发到这个邮箱。")
