"""Tables of announcements (none yet)."""
