"""Inventory stores: the GeoPackage backend, its SQL writer, and the event history replay."""
