"""Incidents: the canonical model, the curated data set, importers, the store and queries."""
