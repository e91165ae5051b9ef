"""The shared import pipeline: regrouping chunks so that an incident given on several rows is never cut in two."""
from __future__ import annotations

import numpy as np
import pandas as pd

from events import textio
from events.sources import pipeline


def chunks(*ids_per_chunk) -> list[textio.Chunk]:
    """Reader chunks of an `id` column, rows numbered from line 2 on, as textio.iter_rows gives them."""
    out, line = [], 2
    for ids in ids_per_chunk:
        lines = np.arange(line, line + len(ids), dtype=np.int64)
        line += len(ids)
        out.append(textio.Chunk(pd.DataFrame({"id": list(ids), "n": [str(i) for i in lines]}), lines,
                                pd.DataFrame(columns=["row", "field", "value", "reason"])))
    return out


def shape(regrouped) -> list[tuple[list[str], list[int]]]:
    return [(list(c.frame["id"]), [int(i) for i in c.lines]) for c in regrouped]


def test_the_last_incident_of_a_chunk_waits_for_the_next_chunk():
    got = shape(pipeline.regroup(iter(chunks("AB", "BC", "C")), "id", limit=100))
    assert got == [(["A"], [2]), (["B", "B"], [3, 4]), (["C", "C"], [5, 6])]


def test_rows_of_the_last_incident_anywhere_in_the_chunk_wait_with_it():
    got = shape(pipeline.regroup(iter(chunks("BAB", "C")), "id", limit=100))
    assert got == [(["A"], [3]), (["B", "B"], [2, 4]), (["C"], [5])]


def test_a_blank_last_id_is_not_held():
    """A missing id is never an incident's: such rows are rejected, not merged."""
    got = shape(pipeline.regroup(iter(chunks(["A", ""], ["B"])), "id", limit=100))
    assert got == [(["A", ""], [2, 3]), (["B"], [4])]
    got = shape(pipeline.regroup(iter(chunks(["", ""], ["B", ""])), "id", limit=100))
    assert got == [(["", ""], [2, 3]), (["B", ""], [4, 5])]


def test_an_incident_longer_than_the_limit_is_let_through():
    got = shape(pipeline.regroup(iter(chunks("AAA", "A")), "id", limit=2))
    assert got == [(["A", "A", "A"], [2, 3, 4]), (["A"], [5])]


def test_the_values_travel_with_their_lines():
    for chunk in pipeline.regroup(iter(chunks("AB", "BB", "C")), "id", limit=100):
        assert list(chunk.frame["n"]) == [str(i) for i in chunk.lines]
