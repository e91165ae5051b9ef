"""The atlas's one error base: every failure a user can cause (a bad file, store, argument or view).

Each module keeps its own error class (StoreError, ImportFailure, ExportError in events; ControlError,
BoundaryError, SnapshotError in geo) and derives it from AtlasError, so the roots of the app and of
the command lines catch one class and show its message as one line, never a traceback. Anything
else reaching a root is a bug of ours.
"""
from __future__ import annotations


class AtlasError(Exception):
    """A failure whose message is meant for the user: one line naming the file, row or option."""


class UsageError(AtlasError, ValueError):
    """A command-line option or view parameter that cannot be used (a date that is not a date, ...)."""
