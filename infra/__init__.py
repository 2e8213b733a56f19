"""Infrastructure: settings, embedded servers, database and broker plumbing, the relay, the CLI."""
