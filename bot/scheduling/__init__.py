"""Time-driven work: schedules (one-off and recurring occurrences, claimed once across replicas),
the tick that wakes Commons, and notices to a schedule's author."""
