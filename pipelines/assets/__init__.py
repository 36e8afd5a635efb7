"""Assets of the order loop, one module per stage."""
