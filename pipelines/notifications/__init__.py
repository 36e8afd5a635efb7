"""Customer notification templates and their rendering."""
