"""Statistics: figures from the stored step times, 好差评 ratings and their follow-up."""
