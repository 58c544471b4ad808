// Small behaviour htmx does not cover.  Kept tiny on purpose.
// Confirmation for destructive actions: hx-confirm is used in templates.
document.addEventListener("htmx:responseError", (event) => {
  const banner = document.getElementById("live-banner");
  if (!banner) return;
  const xhr = event.detail.xhr;
  // The server's answer is in words already; its status is only a fallback.
  const text = xhr.responseText.trim();
  const words = text && !text.startsWith("<") ? text : "";
  banner.textContent = words ? words.slice(0, 500) : `The server could not do that (HTTP ${xhr.status}).`;
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

// Forms that only drive htmx: Enter must not submit them as a page.
document.addEventListener("submit", (event) => {
  if (event.target.matches("form[data-no-submit]")) event.preventDefault();
});

// A form answered with its bad fields marked (X-Podhouse-Bad-Fields; 200 to htmx, 400
// to anything else: dashboard/views/bad_input.py): shown in place, not as an error.
document.addEventListener("htmx:beforeSwap", (event) => {
  const xhr = event.detail.xhr;
  if (xhr.status === 400 && xhr.getResponseHeader("X-Podhouse-Bad-Fields")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
// The navigation on a narrow screen: a menu button opens and closes it.
document.addEventListener("click", (event) => {
  const toggle = event.target.closest("#nav-toggle");
  if (!toggle) return;
  const open = toggle.closest(".topbar").classList.toggle("nav-open");
  toggle.setAttribute("aria-expanded", String(open));
});

// Progress of an action in place.  While its request runs, the button that asked
// says what is happening with a spinner, it and its siblings are disabled (a second
// click cannot race the first: a Restart during a Stop got "container state
// improper"), and the state badge beside them says what is under way.  A live row
// swapped in meanwhile gets the same marks until the answer arrives.
const BUSY_WORDS = {
  stop: "Stopping…", start: "Starting…", restart: "Restarting…", remove: "Removing…", kill: "Killing…",
  pause: "Pausing…", unpause: "Resuming…", enable: "Enabling…", disable: "Disabling…", mask: "Masking…",
  unmask: "Unmasking…", reload: "Reloading…", "reset-failed": "Resetting…",
};
const BADGE_WORDS = {
  stop: "stopping", start: "starting", restart: "restarting", remove: "removing", kill: "stopping",
};
const GROUPS = ".row-actions, .unit-actions, .service-actions, .detail-actions, .service-buttons, form";
const pendingActions = new Map(); // id of the element holding the row or state -> verb

function actionHolder(button) {
  return button.closest("tr[id], #container-summary, .unit-state[id]") || button.closest("main");
}

function markBusy(holder, verb, button) {
  button = button || holder.querySelector(`button[data-action="${verb}"]`);
  if (button && !button.classList.contains("busy")) {
    button.dataset.idleLabel = button.textContent;
    button.classList.add("busy");
    if (BUSY_WORDS[verb]) button.textContent = BUSY_WORDS[verb];
    button.setAttribute("aria-busy", "true");
  }
  // A row or a state panel waits as a whole; elsewhere only the button's own group.
  const groups = new Set(holder.matches("main") ? [] : holder.querySelectorAll(GROUPS));
  if (button) groups.add(button.closest(GROUPS) || button.parentElement);
  for (const group of groups) {
    for (const other of group.querySelectorAll("button")) {
      if (!other.disabled) { other.disabled = true; other.dataset.busyHeld = "1"; }
    }
  }
  const badge = BADGE_WORDS[verb] && holder.querySelector(".state");
  if (badge && !badge.dataset.idleText) {
    badge.dataset.idleText = badge.textContent;
    badge.dataset.idleClass = badge.className;
    badge.textContent = BADGE_WORDS[verb];
    badge.className = `state ${BADGE_WORDS[verb]}`;
  }
}

function clearBusy(holder) {
  for (const button of holder.querySelectorAll("button.busy")) {
    button.classList.remove("busy");
    button.removeAttribute("aria-busy");
    if (button.dataset.idleLabel !== undefined) button.textContent = button.dataset.idleLabel;
    delete button.dataset.idleLabel;
  }
  for (const button of holder.querySelectorAll("button[data-busy-held]")) {
    button.disabled = false;
    delete button.dataset.busyHeld;
  }
  for (const badge of holder.querySelectorAll(".state[data-idle-text]")) {
    badge.textContent = badge.dataset.idleText;
    badge.className = badge.dataset.idleClass;
    delete badge.dataset.idleText;
    delete badge.dataset.idleClass;
  }
}

document.addEventListener("htmx:beforeRequest", (event) => {
  const elt = event.detail.elt;
  const button = elt.matches("button") ? elt
    : elt.matches("form") ? elt.querySelector("button[type=submit], button:not([type])") : null;
  if (!button) return;
  const verb = button.dataset.action || "";
  const holder = actionHolder(button) || button.parentElement;
  const key = holder.id || null;
  markBusy(holder, verb, button);
  if (key) pendingActions.set(key, verb);
  event.detail.xhr.addEventListener("loadend", () => {
    const xhr = event.detail.xhr;
    if (key) pendingActions.delete(key);
    // A redirect (a detail page's action) reloads the page: it stays marked until then.
    if (xhr.status < 400 && xhr.getResponseHeader("HX-Redirect")) return;
    const now = key ? document.getElementById(key) : holder;
    if (now && now.isConnected) clearBusy(now);
    if (holder !== now && holder.isConnected) clearBusy(holder);
  });
});

function remarkPending() {
  for (const [key, verb] of pendingActions) {
    const holder = document.getElementById(key);
    if (holder) markBusy(holder, verb, null);
  }
}
document.addEventListener("htmx:oobAfterSwap", remarkPending);
document.addEventListener("htmx:wsAfterMessage", remarkPending);

// Action buttons of list rows (containers, pods, images) and of the pods' and images'
// pages: one listener here instead of htmx attributes on every button of up to 3,000
// rows (htmx would process each at every page load, and a row the live list has just
// swapped in would do nothing when clicked before htmx processed it).  A group marked
// data-post-to holds buttons with data-action: each posts to that URL plus its action,
// after its data-confirm if it has one, with the hx-vals of the button and its group
// (htmx reads them, and the hx-headers above them, when it sends).  In a row the
// answer replaces the row: what hx-post, hx-confirm and hx-target did.  Elsewhere (a
// detail page, whose actions send "next") the answer is a redirect: nothing is swapped.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-post-to] button[data-action]");
  if (!button || button.disabled) return;
  if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
  const url = button.closest("[data-post-to]").dataset.postTo + button.dataset.action + "/";
  const row = button.closest("tr[id]");
  if (!row) {
    htmx.ajax("POST", url, { source: button, swap: "none" });
    return;
  }
  // The live list may replace the row while the action runs (its catch-up right after
  // the page loaded, a change made elsewhere): the answer then goes to the row of that
  // id.  Said on the row itself: htmx tells the swap's target, and once the row is
  // replaced its events no longer reach the document.
  row.addEventListener("htmx:beforeSwap", (swap) => {
    if (swap.detail.target.isConnected) return;
    const now = document.getElementById(row.id);
    if (now) swap.detail.target = now;
    else swap.detail.shouldSwap = false;
  }, { once: true });
  htmx.ajax("POST", url, { source: button, target: row, swap: "outerHTML" });
});

// A form that reloads the page (create, recreate) can take seconds: its button says
// so and cannot be pressed twice.  Disabled after the submit has read its fields.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.hasAttribute("hx-post") || form.hasAttribute("hx-get") || (form.method || "").toLowerCase() !== "post") return;
  const button = event.submitter || form.querySelector("button[type=submit], button:not([type])");
  if (!button) return;
  setTimeout(() => {
    button.dataset.idleLabel = button.textContent;
    button.classList.add("busy");
    button.textContent = button.dataset.busyLabel || "Working…";
    button.disabled = true;
  }, 0);
});
// Back from the browser's cache after such a submit: the button works again.
window.addEventListener("pageshow", (event) => {
  if (!event.persisted) return;
  for (const button of document.querySelectorAll("form button.busy")) {
    button.classList.remove("busy");
    button.disabled = false;
    if (button.dataset.idleLabel !== undefined) button.textContent = button.dataset.idleLabel;
  }
});

// A result arriving in a dialog or a panel is brought into view.
document.addEventListener("htmx:afterSwap", (event) => {
  const shown = event.detail.target.querySelector("[data-scroll-into-view]")
    || (event.detail.target.matches("[data-scroll-into-view]") ? event.detail.target : null);
  if (shown) shown.scrollIntoView({ block: "nearest", behavior: "instant" });
});

// Dialogs (the service dialog): shown modal, so focus moves in and stays in (Tab
// cycles inside it), Esc closes it, and so does a button marked data-close-dialog.
const FOCUSABLE = "a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex='-1'])";

// `root` itself when it matches, else the elements in it that do (htmx:load gives the
// swapped element, DOMContentLoaded the document).
function matchingIn(root, selector) {
  return root.matches && root.matches(selector) ? [root] : [...root.querySelectorAll(selector)];
}

function openDialogs(root) {
  for (const dialog of matchingIn(root, "dialog[data-modal]")) {
    if (dialog.open) continue;
    dialog.showModal();
    const first = dialog.querySelector("[autofocus]") || dialog.querySelector(FOCUSABLE);
    if (first) first.focus();
  }
}
document.addEventListener("htmx:load", (event) => openDialogs(event.detail.elt));
document.addEventListener("DOMContentLoaded", () => openDialogs(document));

// A long list's rows arrive in a <template data-rows> and are put in its place once
// htmx has processed what came with them.  htmx looks at every element of a page when
// it starts (a query for its attributes, an XPath for hx-on ones), and rows that carry
// none of them cost it about 190 ms of script at 3,000 rows here (a fifth of the
// load); the browser also builds a template's rows without drawing them slice by
// slice as they are parsed.  This script is deferred, so its DOMContentLoaded listener comes after
// htmx's; a table swapped in later (the filters) is placed at its htmx:load.
function placeRows(root) {
  for (const template of matchingIn(root, "template[data-rows]")) template.replaceWith(template.content);
}
document.addEventListener("DOMContentLoaded", () => placeRows(document));
document.addEventListener("htmx:load", (event) => placeRows(event.detail.elt));

document.addEventListener("keydown", (event) => {
  const dialog = document.querySelector("dialog[data-modal][open]");
  if (!dialog) return;
  if (event.key === "Escape") {
    event.preventDefault();
    dialog.close();
    return;
  }
  if (event.key !== "Tab") return;
  const items = [...dialog.querySelectorAll(FOCUSABLE)].filter((e) => e.offsetParent !== null || e === document.activeElement);
  if (!items.length) return;
  const first = items[0], last = items[items.length - 1];
  if (!dialog.contains(document.activeElement)) {
    event.preventDefault();
    first.focus();
  } else if (event.shiftKey && document.activeElement === first) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && document.activeElement === last) {
    event.preventDefault();
    first.focus();
  }
});
document.addEventListener("click", (event) => {
  const closer = event.target.closest("[data-close-dialog]");
  if (closer) closer.closest("dialog").close();
});
// A closed dialog leaves the page (it is asked for again with its fresh state).
document.addEventListener("close", (event) => {
  if (event.target.matches("dialog[data-modal]")) event.target.remove();
}, true);
