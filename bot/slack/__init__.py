"""Talking with Slack: the interaction layer (screen, receipts, claims, one acknowledgement, outcomes),
what people type (args, verbs, forms), Block Kit pieces and paged Web API reads."""
