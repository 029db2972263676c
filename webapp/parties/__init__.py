"""Parties (当事人): persons by ID number, companies by 统一社会信用代码, their roles in cases
and the accounts that act for them. See `case_parties` for the public functions."""
