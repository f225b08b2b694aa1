"""Town halls: the notice, reminders, questions (anonymous if one likes), upvotes, the host's ranked list."""
