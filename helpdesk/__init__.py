"""Department help desks: tracked request threads between departments (being built)."""
