"""Use cases over the store: the same services serve the live bot, `replay` and the tests."""
