"""Downloads prepared on request and offered only while the view they were made of is on screen."""
from __future__ import annotations

import json

import streamlit as st

from events.errors import AtlasError
from i18n import Translator
from ui.messages import failed, plain


def exported(name: str, *, build, view_key: str, stem: str, t: Translator, extra=()) -> None:
    """Build an export on request (not on every rerun) and keep it, with the view it shows
    (`view_key`) and its file stem, for its download button."""
    key = json.dumps([view_key, *extra], default=str)
    try:
        st.session_state[f"export_{name}"] = (key, build(), stem)
        st.session_state.pop(f"export_{name}_error", None)
    except (AtlasError, ValueError) as exc:
        st.session_state[f"export_{name}_error"] = plain(exc)
        st.session_state.pop(f"export_{name}", None)
    except Exception as exc:  # noqa: BLE001 (no traceback on the page)
        st.session_state[f"export_{name}_error"] = failed(t("The export"), exc, t=t)
        st.session_state.pop(f"export_{name}", None)


def prepared(name: str, *, view_key: str, t: Translator, extra=()):
    """(content, file stem) of the export made for exactly this view, else None; a file made for an
    earlier view is dropped with a note instead of being offered under this view's name."""
    item = st.session_state.get(f"export_{name}")
    if item is None:
        return None
    key, content, stem = item
    if key != json.dumps([view_key, *extra], default=str):
        st.session_state.pop(f"export_{name}", None)
        st.caption(t("The view has changed since the last file was prepared: prepare it again."))
        return None
    return content, stem
