"""Optional sign-in: when ``.streamlit/secrets.toml`` has an ``[auth]`` block, only signed-in users see the app.

Streamlit's OpenID Connect login (``st.login``) does the work; see docs/app.md, "Putting it behind sign-in"
for the secrets and a provider example. Without an ``[auth]`` block the app
runs as before (bound to localhost by ``.streamlit/config.toml``).
"""

from __future__ import annotations

import streamlit as st


def auth_configured() -> bool:
    """Whether the secrets hold an ``[auth]`` block (False when there is no secrets file)."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file, or one that cannot be parsed: no sign-in configured
        return False


def require_login() -> None:
    """Stop the page with a sign-in button unless the user is signed in (only when sign-in is configured)."""
    if not auth_configured():
        return
    if not st.user.is_logged_in:
        st.markdown("### Neighbourhood policing planner")
        st.write("Sign in with your organisation account to plan deployments.")
        st.button("Sign in", on_click=st.login, type="primary")
        st.stop()
    with st.sidebar:
        who = st.user.get("email") or st.user.get("name") or "signed in"
        c1, c2 = st.columns([3, 2], vertical_alignment="center")
        c1.caption(f"Signed in: {who}")
        c2.button("Sign out", on_click=st.logout, key="w_logout")
