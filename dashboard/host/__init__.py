"""What talks to a host and imports no Django: the D-Bus client of systemd, unit
files as text, the journald reader, scopes, Podman clients per scope, health, and the
embedded host stack's setup (with Quadlet provisioning)."""
