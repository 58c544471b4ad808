"""The progress of a check or an update of containers (dashboard.updates)."""
from dashboard import updates
from dashboard.consumers.progress import JobProgressConsumer


class UpdateProgressConsumer(JobProgressConsumer):
    jobs = updates.jobs
    template = "updates/_step.html"
