"""Adapters from outside formats (replay files now, discord.py events later) to domain events."""
