"""Discord cogs: thin adapters that parse an interaction, call a service and render the answer."""
