"""The page's parts that need Streamlit (messages, links, uploads, the incident table and details,
prepared downloads); `app.py` reads top to bottom like the page and calls them."""
