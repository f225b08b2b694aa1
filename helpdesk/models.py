"""Tables of helpdesk (none yet)."""
