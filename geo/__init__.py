"""Geography at the edge: boundaries, projection, adjacency, crosswalks.

Only this package (and the Streamlit app) imports geopandas. It turns
GeoDataFrames into the plain arrays and graphs the planner core works on.
"""
