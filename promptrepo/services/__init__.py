"""Business logic: plain functions that take a `Session` (and the acting `Principal`).

Nothing in this package imports Reflex, so a test, a Reflex handler and an API route call
exactly the same code.
"""
