"""Announcements and town-hall notices: compose, approve, schedule, acknowledge (being built)."""
