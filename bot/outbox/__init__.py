"""The delivery outbox: what features enqueue, the sender that posts each row once, paced, and
the shared rate budgets."""
