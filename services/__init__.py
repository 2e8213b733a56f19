"""The four bodies' services, one package each, and the kernel they share (``services.common``)."""
