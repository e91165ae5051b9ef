"""Canonical rows for tests, built through the real model (validated, never hand-typed frames)."""
import pandas as pd

from events import model


def rows(specs: list[dict], *, dataset: str = "testfile.csv") -> pd.DataFrame:
    """Validated canonical frame from partial row specs; defaults fill the required fields."""
    base = {"source_dataset": dataset, "date_precision": "day", "lat": 35.4681, "lon": 44.3922,
            "geo_precision": 1, "event_type": "Battles", "sub_event_type": "Armed clash",
            "confidence": "medium", "sources": model.dumps([model.citation(publisher="Test fixture")])}
    raw = []
    for i, spec in enumerate(specs):
        row = {**base, "source_id": str(i + 1), **spec}
        row.setdefault("incident_id", f"{row['source_dataset']}:{row['source_id']}")
        raw.append(row)
    accepted, rejects = model.validate(pd.DataFrame(raw))
    assert rejects.empty, rejects.to_string()
    return accepted
