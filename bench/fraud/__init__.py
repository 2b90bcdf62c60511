"""A fraud simulator: a realistic community in `replay`'s JSONL format, with labelled attackers.

`simulate.py` is the entry point; README.md explains how honest behaviour and each attack are
modelled.
"""
