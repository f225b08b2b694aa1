"""The shell of Commons: settings, store, app factory, command line and the pieces every feature shares."""
