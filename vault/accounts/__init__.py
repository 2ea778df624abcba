"""Accounts and how people get in: passwords, sign-in, second factor, sessions, recovery."""
