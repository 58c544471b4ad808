// Units pages: a banner while the live connection is down (htmx's ws extension
// reconnects by itself), and the list's filters by name/description, active state
// and file state, applied in the page so that rows arriving live are filtered too.
(() => {
  const banner = document.getElementById("live-banner");
  const ours = (event) => ["units-live", "unit-live"].includes(event.target.id);
  // data-ws says whether the live connection is open (tests and benches wait on it).
  document.body.addEventListener("htmx:wsClose", (event) => {
    if (!ours(event)) return;
    event.target.dataset.ws = "closed";
    banner.textContent = "Live updates disconnected; reconnecting…";
    banner.classList.remove("hidden");
  });
  document.body.addEventListener("htmx:wsOpen", (event) => {
    if (!ours(event)) return;
    event.target.dataset.ws = "open";
    banner.classList.add("hidden");
  });

  const body = document.getElementById("units-body");
  if (!body) return;
  const name = document.getElementById("unit-filter-name");
  const active = document.getElementById("unit-filter-active");
  const file = document.getElementById("unit-filter-file");
  const count = document.getElementById("unit-count");
  const apply = () => {
    const text = name.value.trim().toLowerCase();
    let shown = 0;
    for (const row of body.rows) {
      const visible = (!text || row.textContent.toLowerCase().includes(text))
        && (!active.value || row.dataset.active === active.value)
        && (!file.value || row.dataset.file === file.value);
      row.hidden = !visible;
      if (visible) shown += 1;
    }
    count.textContent = `${shown} of ${body.rows.length}`;
  };
  for (const input of [name, active, file]) input.addEventListener("input", apply);
  document.body.addEventListener("htmx:oobAfterSwap", apply);
  document.body.addEventListener("htmx:wsAfterMessage", apply);
  apply();
})();
