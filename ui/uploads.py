"""A user's uploaded file, saved where the importers can read it."""
from __future__ import annotations

import re
from pathlib import Path


def saved_upload(upload, folder: str) -> Path:
    """The uploaded bytes in `folder` under a name the file system accepts (the user's name, cleaned
    of path separators and control characters and shortened, keeping its extension)."""
    name = re.sub(r"[\x00-\x1f\x7f/\\\\]+", "_", Path(str(upload.name)).name).strip(" .") or "upload"
    stem, dot, ext = name.rpartition(".")
    if not dot or len(ext) > 10:
        stem, ext = name, ""
    path = Path(folder) / (stem[:100].encode("utf-8")[:180].decode("utf-8", "ignore") + (f".{ext}" if ext else ""))
    path.write_bytes(upload.getvalue())
    return path
