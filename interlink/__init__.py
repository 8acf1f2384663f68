"""interlink."""
