"""Messages to the user: text from data is shown as text, failures as one line, tracebacks to the log."""
from __future__ import annotations

import logging
import re

from i18n import Translator, translator

LOG = logging.getLogger("atlas")
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$=^&\"'])")


def plain(text) -> str:
    """Text from data or a user's file for a Streamlit message or caption: every Markdown character
    escaped, so a name can never become a link, an image (a web beacon), HTML or a colour directive."""
    return _MARKDOWN.sub(r"\\\1", " ".join(str(text).split()))


def failed(what: str, exc: BaseException, *, t: Translator = translator()) -> str:
    """One line for the user about an unforeseen failure (`what`: already in the reader's language); the
    traceback goes to the server's log only."""
    LOG.error("%s failed", what, exc_info=exc)
    return t("{what} failed unexpectedly ({error}); nothing was changed. The details are in the server log.",
             what=what, error=type(exc).__name__)
