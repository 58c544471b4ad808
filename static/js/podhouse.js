// Small behaviour htmx does not cover.  Kept tiny on purpose.
// Confirmation for destructive actions: hx-confirm is used in templates.
document.addEventListener("htmx:responseError", (event) => {
  const banner = document.getElementById("live-banner");
  if (!banner) return;
  const xhr = event.detail.xhr;
  banner.textContent = `${xhr.status}: ${xhr.responseText.slice(0, 300)}`;
  banner.classList.remove("hidden");
  banner.classList.add("error");
});

// A list's "N shown of M" follows its live rows: the count is the rows the table
// holds after each message; an unfiltered list's total is that count too (a
// filtered one cannot know how many it leaves out, so its total stays as read).
document.addEventListener("htmx:wsAfterMessage", () => {
  document.querySelectorAll("[data-count-of]").forEach((count) => {
    const body = document.getElementById(count.dataset.countOf);
    if (!body) return;
    const rows = body.querySelectorAll(":scope > tr").length;
    count.textContent = rows;
    const total = document.getElementById(count.dataset.total || "");
    if (total && total.dataset.filtered === "0") total.textContent = rows;
  });
});
