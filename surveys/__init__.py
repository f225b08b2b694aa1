"""Pulse surveys: anonymous eNPS and engagement pulses (being built)."""
