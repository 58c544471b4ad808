"""The words of the container and pod forms' fields, for the summary of a refused
form ("fix Name, Published ports"): the same labels the forms show beside each field
(tests/unit/test_field_labels.py keeps the two in step)."""
from django import template

register = template.Library()

FIELD_LABELS = {
    "image": "Image", "name": "Name", "command": "Command", "entrypoint": "Entrypoint", "user": "User",
    "workdir": "Working directory", "env": "Environment", "labels": "Labels", "pod": "Pod", "network": "Network",
    "ports": "Published ports", "volumes": "Volumes", "memory": "Memory limit", "cpus": "CPUs",
    "restart_policy": "Restart policy", "restart_tries": "Retries (on-failure)",
    "health_cmd": "Health check command", "health_interval": "Health interval", "health_timeout": "Health timeout",
    "health_retries": "Health retries", "health_start_period": "Health start period", "log_driver": "Log driver",
    "systemd": "Run systemd inside", "sdnotify": "sd_notify", "confirm": "the confirmation box",
}


@register.filter
def field_label(field: str) -> str:
    """The form's label of a field; an unknown field's own name, with spaces."""
    return FIELD_LABELS.get(field, field.replace("_", " "))
