"""Pages of the Streamlit app (``app.py`` routes to them with ``st.navigation``)."""
