"""The Content-Security-Policy every response carries.

Scripts and styles come from this server's own static files only: no inline
<script>, no on* handlers, no hx-on (htmx evaluates those as code), no inline
<style> (htmx's own indicator styles are switched off in base.html and live in
podhouse.css).  Style attributes stay allowed (`style-src-attr 'unsafe-inline'`):
the overview's bars set their widths that way and an attribute can neither run
code nor select other elements.  Websockets go to this server only ('self' covers
ws: and wss: of the page's own host and port)."""

from django.utils.deprecation import MiddlewareMixin

POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


class ContentSecurityPolicyMiddleware(MiddlewareMixin):
    """Adds the policy to every response Django makes (sync and async views alike)."""

    def process_response(self, request, response):
        response.setdefault("Content-Security-Policy", POLICY)
        return response
