"""Coordinates and shapes: CRS rules, web-map offsets (GCJ-02, BD-09) and geometry checks."""
