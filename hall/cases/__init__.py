"""One-window intake: cases (办件) from the front desk, through the back office, to pickup."""
