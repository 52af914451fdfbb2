"""Pages of the planner app (run through app.py with st.navigation) and the session helpers they share."""
