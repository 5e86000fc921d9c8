"""What the command line reports without a traceback, and with which exit status."""


class UsageError(Exception):
    """A command-line argument or setting that cannot be used (exit status 2)."""


class Unavailable(Exception):
    """Something the command needs cannot be reached, such as the decision log (exit status 1)."""
