"""Announcements: compose, approve, schedule, post, acknowledge, remind, edit and cancel."""
