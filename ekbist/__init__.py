"""The ekbist application: the command line and the wiring of engine, explanations and faces."""
