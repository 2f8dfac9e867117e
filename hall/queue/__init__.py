"""The queue: tickets, windows, appointments; issuing and calling."""
