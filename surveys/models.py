"""Tables of surveys (none yet)."""
