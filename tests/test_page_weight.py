"""What a phone downloads: static files named by their hash and kept for a year, compressed copies, public
pages gzipped and pages with a person's own data not. The bytes a real browser fetches: bench/weight.py."""

import gzip
import re

import pytest
from django.test import Client

from pledgecard.core import staticfiles

from .conftest import postcard_data

pytestmark = pytest.mark.django_db

ASSET = re.compile(r'(?:href|from|src)="(/static/[^"]+)"|import \{ initAll \} from "(/static/[^"]+)"')


def _static_paths(html):
    return sorted({a or b for a, b in ASSET.findall(html)})


def test_pages_name_static_files_by_their_hash_and_browsers_keep_them(event):
    html = Client().get(f"/e/{event.slug}/").content.decode()
    paths = _static_paths(html)
    assert any(p.endswith(".css") for p in paths) and any(p.endswith(".js") for p in paths)
    for path in paths:
        assert re.search(r"\.[0-9a-f]{12}\.(css|js)$", path), path
        response = Client().get(path, headers={"accept-encoding": "gzip, br"})
        assert response.status_code == 200
        assert "immutable" in response["Cache-Control"] and "max-age=315360000" in response["Cache-Control"]
        assert response["Content-Encoding"] == "br"  # collectstatic's copy, made once


def test_the_public_pages_are_gzipped_and_still_whole(event):
    for path in (f"/e/{event.slug}/", f"/events/{event.slug}/", f"/e/{event.slug}/wall/"):
        response = Client().get(path, headers={"accept-encoding": "gzip"})
        assert response.status_code == 200 and response["Content-Encoding"] == "gzip", path
        html = gzip.decompress(response.content).decode()
        assert html.rstrip().endswith("</html>")
        assert len(response.content) < len(html) / 2


def test_a_page_with_a_persons_own_words_is_not_compressed(event):
    client = Client()
    response = client.post(f"/e/{event.slug}/", postcard_data(), follow=True)
    assert response.redirect_chain and response.status_code == 200
    again = client.get(response.redirect_chain[-1][0], headers={"accept-encoding": "gzip"})
    assert again.status_code == 200 and not again.has_header("Content-Encoding")
    assert "Ask one community group" in again.content.decode()


def test_a_process_started_without_collectstatic_still_draws_pages(monkeypatch):
    from django.contrib.staticfiles.storage import staticfiles_storage

    def missing(path):
        raise ValueError(f"Missing staticfiles manifest entry for '{path}'")

    monkeypatch.setattr(staticfiles_storage, "url", missing)
    monkeypatch.setattr(staticfiles, "_hashed", {})  # as in a new process: nothing asked yet
    assert staticfiles.static_url("nhsuk/nhsuk-frontend.min.css") == "/static/nhsuk/nhsuk-frontend.min.css"


def test_a_static_files_address_is_asked_once_and_follows_a_change_of_settings(settings):
    first = staticfiles.static_url("pledgecard.css")
    assert first.startswith("/static/") and staticfiles._hashed["pledgecard.css"] == first
    settings.STATIC_URL = "/elsewhere/"
    assert staticfiles.static_url("pledgecard.css") == first.replace("/static/", "/elsewhere/", 1)
