"""orderloop: the order-operations warehouse. This package holds the CLI and the shared run settings."""
