"""The back-office form of a synonym group."""

from __future__ import annotations

from wtforms import StringField

from sunshine.forms import BaseForm, length, required


class SynonymForm(BaseForm):
    words = StringField("意思相同的词", validators=[required(), length(300)],
                        description="两个或更多个词，用空格或逗号分开，例如：低保 最低生活保障。"
                                    "搜索其中任何一个词，也会找到含有其他词的内容。")


class DeleteForm(BaseForm):
    """An empty form: a button that carries only the CSRF token."""
