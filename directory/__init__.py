"""People, departments and roles, synced from Slack's users and user groups (being built)."""
