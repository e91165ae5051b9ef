"""The page laid out right to left (Arabic, Kurdish): fixed CSS, never any data in it."""
from __future__ import annotations

from geo import assets
from i18n import Translator

# Streamlit draws its widgets left to right; these rules turn the main block and the sidebar, keep
# Latin names, numbers and date ranges in their own order (bidi isolation), and use Noto Sans Arabic.
RTL_CSS = """
html, body, .stApp, .stApp *:not([data-testid="stIconMaterial"]) {
  font-family: 'Noto Sans Arabic', 'Source Sans Pro', sans-serif; }
.stApp code, .stApp pre { font-family: 'Source Code Pro', monospace; }
[data-testid="stMain"], [data-testid="stSidebar"], [data-testid="stSidebarContent"] {
  direction: rtl; text-align: right; }
/* the sidebar on the right, where a right-to-left reader starts */
[data-testid="stAppViewContainer"] { flex-direction: row-reverse; }
[data-testid="stMain"] p, [data-testid="stMain"] li, [data-testid="stSidebar"] p, [data-testid="stSidebar"] li,
[data-testid="stWidgetLabel"], [data-testid="stCaptionContainer"], [data-testid="stMarkdownContainer"] {
  text-align: right; unicode-bidi: plaintext; }
[data-testid="stMetricValue"], [data-testid="stMetricValue"] * { direction: ltr; unicode-bidi: isolate;
  text-align: right; }
#details-panel th { text-align: right; padding-left: 0.8em; }
#details-panel td, #details-panel li, #details-panel span, #details-panel bdi { unicode-bidi: isolate; }
/* number inputs: the value reads left to right, the -/+ buttons sit on the left as Arabic forms put them */
[data-testid="stNumberInput"] input { direction: ltr; text-align: right; }
/* the sliders: a time line runs left to right (earliest on the left, as on the chart and the map's
   playback), its end labels and thumb values read as dates, not mirrored */
[data-testid="stSlider"] [data-baseweb="slider"], [data-testid="stSliderTickBar"],
[data-testid="stSliderThumbValue"] { direction: ltr; unicode-bidi: isolate; }
/* the step buttons (− year ... + year, play) go with the slider: past on the left */
.st-key-steps [data-testid="stHorizontalBlock"] { direction: ltr; }
.st-key-steps [data-testid="stColumn"] > * { direction: rtl; }
/* the map and the chart are pictures: never mirrored */
iframe, [data-testid="stVegaLiteChart"], .vega-embed { direction: ltr; }
/* the table stays a grid of cells; each cell is isolated by its own content */
[data-testid="stDataFrame"] { direction: rtl; }
[data-baseweb="select"] [data-baseweb="tag"] span { unicode-bidi: isolate; }
[data-testid="stExpander"] summary { text-align: right; }
"""


# Streamlit's file uploader writes its own English ("Upload", "200MB per file"): shown in the page's language.
UPLOADER_CSS = """
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p { font-size: 0; }
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p::after {
  content: "{upload}"; font-size: 0.875rem; }
[data-testid="stFileUploaderDropzoneInstructions"] span { font-size: 0; }
[data-testid="stFileUploaderDropzoneInstructions"] span::after { content: "{limit}"; font-size: 0.75rem; }
"""


def direction_css(t: Translator, *, upload_mb: int) -> str:
    """The <style> that lays a page out right to left with the locally served Arabic font, and words
    Streamlit itself writes in the reader's language. Only fixed rules and catalogue words, escaped."""
    uploader = (UPLOADER_CSS.replace("{upload}", _css_text(t("Upload")))
                .replace("{limit}", _css_text(t("Up to {n} MB per file", n=upload_mb))))
    return f"<style>{assets.font_face()}{RTL_CSS}{uploader}</style>"


def _css_text(text: str) -> str:
    """Text for a CSS string: every character but letters, digits and spaces as a CSS escape."""
    return "".join(c if c.isalnum() or c == " " else f"\\{ord(c):06x}" for c in text)
