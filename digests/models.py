"""Tables of digests (none yet)."""
