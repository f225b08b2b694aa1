"""Scheduled channel digests and the scorecard (being built)."""
