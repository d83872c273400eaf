"""Login, logout, self-registration and password change."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from sunshine import pagecache
from sunshine.accounts import services, throttle
from sunshine.accounts.forms import LoginForm, PasswordForm, RegisterForm
from sunshine.audit import record
from sunshine.extensions import db, limiter
from sunshine.forms import set_field_error, show_error
from sunshine.web import render_form_page, safe_next

bp = Blueprint("accounts", __name__)


def _start_session(user: services.User, remember: bool) -> None:
    # Drop everything from before the login (a fresh session, no fixation), then log in.
    session.clear()
    login_user(user, remember=remember)
    session.permanent = True


def _known_browser() -> bool:
    """A browser that logged in before is left out of the flood limit of its address, which a
    stranger on the same network could otherwise keep full; its failures still count."""
    return throttle.known_browser(request.cookies.get(throttle.DEVICE_COOKIE))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"], exempt_when=_known_browser)
def login() -> Response | tuple[str, int]:
    """Log in and go to ``next`` (local paths only)."""
    if request.method == "GET":
        # The same form for everyone: kept, with each visitor's own CSRF token put in.
        return pagecache.cached(lambda: render_template("accounts/login.html", form=LoginForm()),
                                args=("next",), no_store=True)
    form = LoginForm()
    target = safe_next(request.args.get("next"), "")
    if form.validate_on_submit():
        device = request.cookies.get(throttle.DEVICE_COOKIE)
        try:
            user = services.authenticate(form.login.data, form.password.data,
                                         request.remote_addr or "", current_app.config, device)
        except throttle.LoginThrottled as exc:
            minutes = max(1, -(-exc.seconds // 60))
            return render_form_page("accounts/login.html", 429, form=form, wait_minutes=minutes)
        except services.AccountError as exc:
            set_field_error(form.password, exc.message)
        else:
            _start_session(user, bool(form.remember.data))
            flash(f"欢迎，{user.display_name}", "success")
            default = url_for("admin.dashboard") if user.is_staff else url_for("public.index")
            response = redirect(target or default)
            # Only the login page reads it: it tells the owner's browser from a guesser's.
            response.set_cookie(throttle.DEVICE_COOKIE, throttle.device_token(user, device),
                                max_age=throttle.DEVICE_DAYS * 86400,
                                path=url_for("accounts.login"), httponly=True, samesite="Lax",
                                secure=request.is_secure)
            return response
    return render_form_page("accounts/login.html", form=form)


@bp.post("/logout")
@login_required
def logout() -> Response:
    """Log out everywhere: the session version changes, so other devices are logged out too."""
    user = current_user._get_current_object()
    services.end_all_sessions(user)
    record("logout", user, "user", user.id, user.region_code)
    db.session.commit()
    # Clear first: logout_user leaves the flag that deletes the remember cookie.
    session.clear()
    logout_user()
    flash("已退出登录", "success")
    return redirect(url_for("public.index"))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def register() -> Response | tuple[str, int]:
    """Donors and sellers sign up with an email or a mobile number, then log in.

    A new contact and one registered already get the same answer (no session either way), so
    the form does not tell who has an account."""
    if current_user.is_authenticated:
        return redirect(url_for("public.index"))
    if request.method == "GET":
        # Kept like the login form; a logged-in visitor is sent home instead (above).
        return pagecache.cached(
            lambda: render_template("accounts/register.html", form=RegisterForm()),
            no_store=True, anonymous_only=True)
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            services.register_public_user(form.contact.data, form.password.data,
                                          form.role.data, form.display_name.data or "")
        except services.AccountError as exc:
            db.session.rollback()
            show_error(form, exc, "contact")
        else:
            db.session.commit()
            flash("注册已受理。如果这个邮箱或手机号此前没有注册过，账号已经开通，请用它和刚设的"
                  "密码登录；如果此前注册过，请用原来的密码登录。", "success")
            return redirect(url_for("accounts.login"))
    return render_form_page("accounts/register.html", form=form)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password() -> Response | tuple[str, int]:
    """Change the password; every other session of the account ends."""
    if request.method == "GET":
        # The same form for every account: kept, with the visitor's header and token put in.
        return pagecache.cached(
            lambda: render_template("accounts/password.html", form=PasswordForm()),
            no_store=True, logged_in_only=True)
    form = PasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            services.change_password(user, form.current_password.data, form.new_password.data)
        except services.AccountError as exc:
            db.session.rollback()
            # The policy names the field "password"; here it is the new one.
            show_error(form, exc, "new_password")
        else:
            _start_session(user, remember=False)
            flash("密码已修改，其他设备上的登录已退出。", "success")
            return redirect(url_for("accounts.password"))
    return render_form_page("accounts/password.html", form=form)
