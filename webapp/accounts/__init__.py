"""Accounts: users, departments and the roles each user holds."""
