"""A donor's pledge form on a need's page. The empty form is the same for every donor but for
their name and CSRF token: it is rendered once per version of the need's data, with a marker
for each, and every donor's copy gets their own two values put in (drawing seven fields through
WTForms cost a donor's page a third of its time). A form sent back with errors is rendered for
its sender alone."""

from __future__ import annotations

from flask import current_app
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from sunshine.matching.forms import PledgeForm
from sunshine.matching.models import ANONYMOUS
from sunshine.matching.needpage import NeedPage
from sunshine.pagecache import visitors

#: Stand-ins for the donor's own values while the shared form is rendered. Each is looked for
#: with the attribute's quotes around it, which text from the database never has (escaped).
NAME = "@@pledge-name@@"
CSRF = "@@pledge-csrf@@"


def build(need: NeedPage, form: PledgeForm | None = None) -> PledgeForm:
    """The pledge form with the need's lines to choose from (those with something left)."""
    if form is None:
        form = PledgeForm(formdata=None)
    form.item.choices = {str(i.id): f"{i.name}（还需 {i.show(i.remaining)}）"
                         for i in need.items if i.remaining > 0} or {"": "已认领完"}
    return form


def render(need: NeedPage, form: PledgeForm) -> Markup:
    """The form's HTML (its CSRF token is the request's)."""
    return Markup(current_app.jinja_env.get_template("matching/_pledge_form.html").render(
        form=form, need=need, config=current_app.config))


def for_donor(need: NeedPage, form: PledgeForm | None = None) -> Markup:
    """The pledge form for the logged-in donor: the one they sent back, or the empty form
    with their public name filled in (nothing when it is the anonymous name)."""
    if form is not None:
        return render(need, build(need, form))
    if need.empty_form is None:
        made = visitors.csrf_in_g(CSRF)
        try:
            empty = build(need)
            empty.display_name.data = NAME
            need.empty_form = str(render(need, empty))
        finally:
            visitors.csrf_in_g(made)
    name = current_user.display_name
    own = need.empty_form.replace(f'value="{NAME}"', f'value="{escape(name)}"'
                                  if name and name != ANONYMOUS else 'value=""', 1)
    if CSRF in own:  # not when CSRF protection is off (tests)
        own = own.replace(f'value="{CSRF}"', f'value="{generate_csrf()}"', 1)
    return Markup(own)
