"""YJS web application: the only package that knows HTTP and the database."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import load_config
from .db import Database
from .extensions import api, csrf, login_manager
from .json_bodies import JsonProvider
from .logging_setup import install_masking
from .regions import init_regions
from .routing import register as register_converters


def create_app(config: dict | None = None) -> Flask:
    """Application factory; `config` overrides environment settings (tests)."""
    app = Flask(__name__, instance_relative_config=False)
    app.config.update(load_config(config))
    app.json = JsonProvider(app)
    app.json.ensure_ascii = False
    install_masking()
    register_converters(app)  # before any route is added

    # One Database per app: a second app in the same process (tests, bench) gets its own.
    Database().init_app(app)
    from . import monitoring  # prometheus_client: imported once the app is made (serving.py)

    monitoring.register(app)
    init_regions(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    api.init_app(app)

    from . import errors, http_headers, working_calendar
    from .views import (
        account,
        admin,
        api_views,
        applicant,
        assist,
        auth,
        catalog,
        clerk,
        health,
        instruments,
        materials,
        messages,
        modeler,
        network,
        notice,
        portal,
        publications,
        supervision,
    )

    errors.register(app)
    http_headers.register(app)
    working_calendar.register(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(portal.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(instruments.bp)
    app.register_blueprint(account.bp)
    app.register_blueprint(messages.bp)
    app.register_blueprint(applicant.bp)
    app.register_blueprint(clerk.bp)
    app.register_blueprint(modeler.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(publications.bp)
    app.register_blueprint(catalog.bp)
    app.register_blueprint(notice.bp)
    app.register_blueprint(materials.bp)
    app.register_blueprint(assist.bp)
    app.register_blueprint(network.bp)
    app.register_blueprint(supervision.bp)
    for blueprint in api_views.blueprints:
        api.register_blueprint(blueprint)

    from .templating import register_filters

    register_filters(app)
    hops = app.config["PROXY_HOPS"]
    if hops:
        # Only as many X-Forwarded-* entries as there are proxies of ours are believed: a
        # client can write the header too, and its own entries come first.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)
    return app
