"""Domain operations: plain functions taking a session and plain values, returning events."""
