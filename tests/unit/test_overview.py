"""dashboard.overview: the bars and the attention list, from podman's and systemd's rows."""
from dashboard.overview import attention, containers_bar, images_total, pods_bar, units_bar
from dashboard.host.systemd import UnitRow
from engine.podman.models import Container, Image, Pod


def container(name, state, exit_code=0, infra=False):
    return Container(id=name, name=name, image="img", image_id="i", state=state, command=[], created=None,
                     started=None, exit_code=exit_code, ports=[], pod_id="", pod_name="", labels={},
                     is_infra=infra, networks=[])


def unit(name, active, load="loaded", sub=""):
    return UnitRow(name=name, load_state=load, active_state=active, sub_state=sub or active)


def as_tuples(bar):
    return [(s.label, s.count, s.css, s.percent) for s in bar]


def test_containers_bar_splits_exits_by_their_code_and_leaves_infra_out():
    bar = containers_bar([container("a", "running"), container("b", "exited", 3), container("c", "exited", 0),
                          container("d", "created"), container("i", "created", infra=True)])
    assert as_tuples(bar) == [("running", 1, "ok", 25.0), ("exited with an error", 1, "bad", 25.0),
                              ("exited", 1, "idle", 25.0), ("created", 1, "new", 25.0)]


def test_empty_parts_are_left_out_and_nothing_gives_no_bar():
    assert containers_bar([]) == [] and pods_bar([]) == [] and units_bar([]) == []
    assert as_tuples(containers_bar([container("a", "paused")])) == [("paused", 1, "warn", 100.0)]


def test_pods_bar():
    pods = [Pod(id=str(n), name=str(n), state=state, created=None, infra_id="", members=[], labels={}, networks=[])
            for n, state in enumerate(["running", "running", "degraded", "exited"])]
    assert [(s.label, s.count) for s in pods_bar(pods)] == [("running", 2), ("degraded", 1), ("stopped", 1)]


def test_units_bar_counts_loaded_units_and_anything_not_inactive():
    rows = [unit("a.service", "active"), unit("b.service", "failed"), unit("c.service", "activating"),
            unit("d.service", "inactive"), unit("gone.service", "inactive", load="not-found"),
            unit("e.service", "failed", load="not-found"), unit("dev-vda.device", "activating", sub="tentative")]
    assert [(s.label, s.count) for s in units_bar(rows)] == [("active", 1), ("changing", 1), ("failed", 2),
                                                             ("inactive", 1)]


def test_attention_lists_failed_units_first_then_containers_that_exited_with_an_error():
    items = attention([container("web", "exited", 137), container("ok", "exited", 0), container("up", "running")],
                      [unit("z.service", "failed"), unit("a.socket", "failed", sub="exit-code"), unit("b", "active")])
    assert [(a.kind, a.name, a.why) for a in items] == [
        ("unit", "a.socket", "failed (exit-code)"), ("unit", "z.service", "failed"),
        ("container", "web", "exited with code 137")]


def test_images_total():
    images = [Image(id=str(n), names=[], created=None, size=size, containers=0, labels={}, dangling=False)
              for n, size in enumerate([100, 250])]
    assert images_total(images) == (2, 350)


async def test_pages_woken_by_the_same_change_share_one_computation(monkeypatch):
    import asyncio

    from dashboard.views import overview as view

    calls = []

    async def compute(scope_name):
        calls.append(scope_name)
        await asyncio.sleep(0.01)
        return {"n": len(calls)}

    monkeypatch.setattr(view, "overview_context", compute)
    woken = asyncio.get_running_loop().time()
    answers = await asyncio.gather(*(view.shared_overview_context("user", woken) for _ in range(5)))
    assert calls == ["user"] and all(a == {"n": 1} for a in answers)
    # a change after that computation began is not answered with it
    later = asyncio.get_running_loop().time() + 0.001
    await asyncio.sleep(0.002)
    assert await view.shared_overview_context("user", later) == {"n": 2}
