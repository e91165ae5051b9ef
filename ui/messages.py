"""Messages to the user: text from data is shown as text, failures as one line, tracebacks to the log."""
from __future__ import annotations

import logging
import re

LOG = logging.getLogger("atlas")
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$=^&\"'])")


def plain(text) -> str:
    """Text from data or a user's file for a Streamlit message or caption: every Markdown character
    escaped, so a name can never become a link, an image (a web beacon), HTML or a colour directive."""
    return _MARKDOWN.sub(r"\\\1", " ".join(str(text).split()))


def failed(what: str, exc: BaseException) -> str:
    """One line for the user about an unforeseen failure; the traceback goes to the server's log only."""
    LOG.error("%s failed", what, exc_info=exc)
    return f"{what} failed unexpectedly ({type(exc).__name__}); nothing was changed. The details are in the server log."
