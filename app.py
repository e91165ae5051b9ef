"""Kirkuk incident atlas: the Streamlit page (the only module that imports Streamlit)."""
import streamlit as st

from events import model, query, store

st.set_page_config(page_title="Kirkuk incident atlas", layout="wide")


@st.cache_data(show_spinner="Opening the incident store…")
def incidents(path: str, version: str):
    """All stored incidents; `version` (the data version) keys the cache so imports show up."""
    return store.load(path)


path = store.open_store(store.DEFAULT_PATH)
facts = store.info(path)
frame = incidents(str(path), facts["data_version"])

st.title("Kirkuk incident atlas")
st.caption(f"Security incidents in Kirkuk governorate and the disputed territories, "
           f"{facts['date_min']} – {facts['date_max']} · data version {facts['data_version']}")

text = st.text_input("Search (English or Arabic)", placeholder="Hawija, الرشاد, Federal Police …")
shown = query.select(frame, text=text) if text else frame
totals = query.totals(shown)
a, b, c = st.columns(3)
a.metric("Incidents", totals["incidents"])
b.metric("Killed (low – high)", f"{totals['killed_low']} – {totals['killed_high']}")
c.metric("Wounded (low – high)", f"{totals['wounded_low']} – {totals['wounded_high']}")
if shown.empty:
    st.info("No incident matches this search.")
else:
    table = model.to_records(shown)[["date_start", "date_end", "date_precision", "place", "place_ar",
                                     "event_type", "sub_event_type", "actor1", "actor2", "killed_low",
                                     "killed_high", "wounded", "confidence", "notes"]]
    st.dataframe(table, hide_index=True, use_container_width=True)
for line in model.attribution(shown["source_dataset"]):
    st.caption(line)
