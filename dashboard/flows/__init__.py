"""Flows: the work behind a dialog or a button that takes many steps across Podman and
systemd and must leave nothing half done (generate and enable a service, auto-update
and its roll back, the update schedule's timer).  They use the host adapters
(dashboard.host) and the live machinery (dashboard.live); views and consumers call them."""
