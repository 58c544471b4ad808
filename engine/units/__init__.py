"""Systemd units for containers and pods, built from podman's inspect data.

escaping  -- how a value is written so systemd (and Quadlet) hand podman the same string
spec      -- ContainerSpec/PodSpec: every setting of a container or pod, one labelled field
             each (filled by engine/podman/container_spec.read_container / read_pod)
arguments -- each field as podman arguments and Quadlet keys; uncarried() names what a
             format cannot carry as a key, and unknown inspect fields
options   -- UnitOptions: the choices of the "Run as a systemd service" dialog, validated
quadlet   -- NAME.container / NAME.pod files for podman's Quadlet generator
classic   -- units in the shape of `podman generate systemd --new`
formats   -- auto / Quadlet / classic: which one, and why (notes for the page)
generated -- UnitFile, GeneratedUnits and the marker line that says Podhouse wrote a file
install   -- atomic writes by scope, backups, confirmation before foreign files, uninstall

Framework-free: no Django import.
"""
