"""The journal: what happened, chained so that a change shows."""
