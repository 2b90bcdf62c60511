"""Pure rules: values in, values out. No Discord, no database, no event loop, no clock reads."""
