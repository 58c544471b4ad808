"""Podman's libpod REST API: an async client, typed models, errors and events."""
from engine.podman.client import PodmanClient, PullProgress
from engine.podman.errors import BadRequest, Conflict, EngineUnavailable, NotFound, PodmanError, ServerError
from engine.podman.events import Event
from engine.podman.models import Container, Image, Pod, PortMapping

__all__ = ["PodmanClient", "PullProgress", "PodmanError", "NotFound", "Conflict", "BadRequest", "ServerError",
           "EngineUnavailable", "Event", "Container", "Pod", "Image", "PortMapping"]
