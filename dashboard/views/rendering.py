"""Rendering a template from an async view."""
from asgiref.sync import sync_to_async
from django.http import HttpResponse
from django.shortcuts import render


async def arender(request, template: str, context: dict, status: int = 200) -> HttpResponse:
    # Context processors read the user and its permissions from the database,
    # which is sync-only work: it runs in a thread, off the event loop.
    return await sync_to_async(render)(request, template, context, status=status)
