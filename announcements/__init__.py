"""Announcements and town-hall notices: compose, approve, schedule, acknowledge, ask and upvote."""
