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

// A live element says whether its socket is open (tests and styles read data-live).
// Here and not in hx-on attributes: those are evaluated code, which the page's
// Content-Security-Policy does not allow.
document.addEventListener("htmx:wsOpen", (event) => { event.target.dataset.live = "open"; });
document.addEventListener("htmx:wsClose", (event) => { event.target.dataset.live = "closed"; });

// Buttons that close the dialog they sit in, and forms that only drive htmx (Enter
// must not submit them as a page).
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-close-dialog]");
  if (button) button.closest("dialog")?.remove();
});
document.addEventListener("submit", (event) => {
  if (event.target.matches("form[data-no-submit]")) event.preventDefault();
});

// A form answered with its bad fields marked (HTTP 400 and X-Podhouse-Bad-Fields,
// dashboard/views/bad_input.py): shown in place like any answer, not as an error.
document.addEventListener("htmx:beforeSwap", (event) => {
  const xhr = event.detail.xhr;
  if (xhr.status === 400 && xhr.getResponseHeader("X-Podhouse-Bad-Fields")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
