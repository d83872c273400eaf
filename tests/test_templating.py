"""The templates' ``url_for`` remembers URLs, and gives exactly what Flask's would."""

from __future__ import annotations

from flask import Flask, render_template_string, url_for

from sunshine.templating import TemplateUrls


def test_remembered_urls_are_flasks_for_each_mount_point(app: Flask) -> None:
    urls = TemplateUrls(app)
    asked = [("public.index", {}), ("static", {"filename": "css/site.css"}),
             ("search.index", {"q": "道路"}), ("funds.index", {"page": 2})]
    for base in ("http://localhost/", "http://localhost/sunshine/", "https://example.org/"):
        root = "/sunshine" if base.endswith("/sunshine/") else ""
        with app.test_request_context("/", base_url=base):
            for endpoint, values in asked:
                first = urls(endpoint, **values)
                assert first == url_for(endpoint, **values) == urls(endpoint, **values)
                assert first.startswith(root + "/")
    # Each mount point and argument has its own entry; nothing else is kept.
    assert len(urls.urls) == 3 * len(asked)


def test_arguments_of_another_type_and_special_ones_are_built_again(app: Flask) -> None:
    urls = TemplateUrls(app, size=2)
    with app.test_request_context("/"):
        assert urls("funds.index", page=1) == "/funds/?page=1"
        assert urls("funds.index", page="1.0") == "/funds/?page=1.0"
        assert urls("funds.index", page=True) == "/funds/?page=True"
        assert urls("public.index", _external=True) == url_for("public.index", _external=True)
        assert urls("funds.index", page=["1", "2"]) == "/funds/?page=1&page=2"
        assert urls("funds.index", page=1.5) == "/funds/?page=1.5"
        assert len(urls.urls) <= 2  # full: it starts afresh rather than growing
    assert all(type(v) in (str, int, bool) for key in urls.urls for _, _, v in key[4:])


def test_pages_use_it_and_relative_endpoints_follow_the_blueprint(app: Flask) -> None:
    assert isinstance(app.jinja_env.globals["url_for"], TemplateUrls)
    with app.test_request_context("/funds/"):
        assert render_template_string("{{ url_for('.index') }}") == "/funds/"
    with app.test_request_context("/projects/"):
        assert render_template_string("{{ url_for('.index') }}") == "/projects/"
