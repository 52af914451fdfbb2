"""Sign-in: with an [auth] block in the secrets only signed-in users see the app; without one, nothing changes."""

from __future__ import annotations

from app_testing import APP, assert_ok, metric
from streamlit.testing.v1 import AppTest

AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "not-a-real-secret",
    "client_id": "planner",
    "client_secret": "not-a-real-secret",
    "server_metadata_url": "https://login.example.invalid/.well-known/openid-configuration",
}


def _app(monkeypatch) -> AppTest:
    monkeypatch.delenv("PLANNER_DATA_DIR", raising=False)
    monkeypatch.setenv("PLANNER_SCENARIO", "demo.yaml")
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["auth"] = AUTH
    return at


def test_signed_out_users_see_only_the_sign_in(monkeypatch):
    at = _app(monkeypatch)
    at.user = {"is_logged_in": False}
    at.run()
    assert_ok(at)
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.metric and not at.get("deck_gl_json_chart") and not at.get("bidi_component")


def test_signed_in_users_see_the_app(monkeypatch):
    at = _app(monkeypatch)
    at.user = {"is_logged_in": True, "email": "inspector@met.example"}
    at.run()
    assert_ok(at)
    assert metric(at, "Status").value == "Optimal"
    assert any("inspector@met.example" in c.value for c in at.caption)
    assert at.button(key="w_logout").label == "Sign out"
