"""Placeholder pages of the areas not built yet.  Each area replaces its entry in
dashboard/urls.py with its own module (dashboard/views/<area>.py)."""
from django.shortcuts import render


def placeholder(area):
    def view(request, scope):
        return render(request, "dashboard/placeholder.html", {"area": area, "scope": scope})

    view.__name__ = f"{area}_placeholder"
    return view
