"""What all four bodies share: the event envelope, the command context, errors, the application base."""
