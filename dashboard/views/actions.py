"""What every area's views share around an action: whether the user may act, the
audit entry of an action (`audited`), the answers to Podman's failures and refusals,
the redirect after an action (`go_next`, same site only) and the lifecycle actions
(start, stop, ... remove) of containers and pods."""
from __future__ import annotations

from asgiref.sync import sync_to_async
from django.http import Http404, HttpResponse
from django.utils.http import url_has_allowed_host_and_scheme

from dashboard import audit
from dashboard.host.scopes import Scope
from dashboard.live.lists import answering_row
from dashboard.permissions import may_act_in
from dashboard.views.rendering import arender
from engine.podman import EngineUnavailable, NotFound, PodmanError


async def operate_flag(request) -> bool:
    """Whether the page offers actions: the account's permission, in the scope of the
    page's URL (permissions.may_act_in)."""
    user = await request.auser()
    match = request.resolver_match
    return await sync_to_async(may_act_in)(user, match.kwargs.get("scope") if match else None)


class audited:
    """The audit entry of one action, written when the block ends, whatever happens:

        async with audited(request, "container-rename", scope, target=name) as entry:
            await client.rename_container(name, new_name)
            entry.detail = f"-> {new_name}"

    A block that ends normally records `entry.result` ("ok" unless set: "failed",
    "refused", a job's own result) with `entry.detail`.  A block left by an exception
    records "refused" when it is one of `refused`, else "failed", with the exception's
    words as detail, and lets the exception go on to the view's own answer; one of
    `bad_input` (the form's own errors, answered field by field) records nothing.
    `entry.handed_over()` says the work goes on in a job that writes its own entries.
    Viewers refused by dashboard.permissions.operator_required are audited there."""

    def __init__(self, request, action: str, scope: Scope | str = "", target: str = "",
                 refused: tuple[type[BaseException], ...] = (), bad_input: tuple[type[BaseException], ...] = ()):
        self.request, self.action, self.scope, self.target = request, action, scope, target
        self.refused, self.bad_input = refused, bad_input
        self.result, self.detail = "ok", ""
        self.user = None
        self._handed_over = False

    def handed_over(self) -> None:
        self._handed_over = True

    async def __aenter__(self) -> "audited":
        self.user = await self.request.auser()
        return self

    async def __aexit__(self, kind, error, traceback) -> bool:
        if error is not None:
            if not isinstance(error, Exception) or isinstance(error, self.bad_input):
                return False  # a cancelled request, or input the view sends back: nothing was done
            self.result = "refused" if isinstance(error, self.refused) else "failed"
            self.detail = str(error)
        elif self._handed_over:
            return False
        await audit.arecord(self.user, self.action, scope=str(self.scope), target=self.target,
                            result=self.result, detail=self.detail)
        return False


async def podman_failure(request, error: PodmanError, scope: Scope, what: str) -> HttpResponse:
    """The page shown when podman cannot answer a read."""
    status = 404 if isinstance(error, NotFound) else 503 if isinstance(error, EngineUnavailable) else 502
    return await arender(request, "containers/unavailable.html",
                         {"scope": scope, "what": what, "error": error}, status=status)


def podman_refusal(error: PodmanError) -> HttpResponse:
    """Podman's own message, with its status when it is the caller's doing (htmx shows
    it in the page's banner)."""
    return HttpResponse(str(error), status=error.status if error.status in (400, 404, 409) else 502,
                        content_type="text/plain")


def safe_next(request, target: str | None) -> str:
    """`target` when it is a path of this site, else "/": `//evil.example/`,
    `/\\evil.example/` and `https://evil.example/` all lead home."""
    if target and target.startswith("/") and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return "/"


def go_next(request) -> HttpResponse | None:
    """When the page asked to go somewhere after the action (a detail page), tell htmx."""
    target = request.POST.get("next")
    if not target:
        return None
    response = HttpResponse(status=204)
    response["HX-Redirect"] = safe_next(request, target)
    return response


async def lifecycle_action(request, scope: Scope, name, verb, kind, verbs, client_call, render_row):
    """start/stop/...: call podman, audit, and answer the changed row (nothing when
    removed), podman's refusal, or a redirect when the page asked for one."""
    if verb not in verbs:
        raise Http404(f"no action {verb}")
    try:
        # Remove's answer takes the row out: the page's socket leaves it alone.
        async with answering_row(request, applies=verb == "remove"), \
                audited(request, f"{kind}-{verb}", scope, target=name):
            await client_call()
    except PodmanError as error:
        return podman_refusal(error)
    redirect_response = go_next(request)
    if redirect_response is not None:
        return redirect_response
    if verb == "remove":
        return HttpResponse("")
    return HttpResponse(await render_row())
