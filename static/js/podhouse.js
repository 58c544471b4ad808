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
