"""``/``: the dashboard, a static page that polls the JSON API and renders rows with ``textContent``."""

from __future__ import annotations

from flask import Blueprint, render_template

from flink_gitops import __version__
from flink_gitops.assess import statuses
from flink_gitops.flink import kind_names
from flink_gitops.service.state import service

bp = Blueprint("dashboard", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static")

# Only our own files: nothing from a CDN, no inline script, no eval. A cluster value that slipped
# past textContent could still not run.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


@bp.get("/")
def index():
    html = render_template("dashboard.html", version=__version__, statuses=statuses(), kinds=kind_names(),
                           simulation=service().runner.settings.simulation)
    return html, 200, {"Content-Security-Policy": CSP, "Cache-Control": "no-cache"}


@bp.get("/favicon.ico")
def favicon():
    return "", 204  # browsers ask for it; a 404 would be noise in every log
