"""The app's services, as the views reach them (like flaskr's get_db): one store, one catalog
cache and one `Records` per app, made in create_app."""
from __future__ import annotations

from flask import current_app


def records():
    return current_app.extensions["biaoge.records"]


def store():
    return records().store


def catalog():
    return records().catalog


def find_form(form_id: str):
    return records().find_form(form_id)
