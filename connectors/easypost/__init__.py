"""EasyPost-compatible tracking: a webhook receiver that lands events, and a source that loads them."""
