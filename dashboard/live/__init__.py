"""The live machinery: one watcher per source (Podman's events, systemd's signals)
that publishes rows with a position to Channels groups, and progress jobs."""
