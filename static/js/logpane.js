// Log panes (templates/logs/_pane.html): one websocket each, compact JSON lines
// rendered here.  Keeps at most MAX_LINES lines in the DOM, resumes after the last
// cursor it has when the socket drops, fetches older lines by cursor on demand.
// Loaded by every page that includes a pane, so it guards against running twice.
(() => {
  if (window.PodhouseLogPane) {
    window.PodhouseLogPane.initAll(document);
    return;
  }
  const MAX_LINES = 5000;
  // Lines one animation frame lays out at most.  Measured in Chromium on this
  // project's 2-core machines: ~40 ms of layout per 500 lines in a full pane when
  // quiet, over 100 ms when the machine is loaded; 300 keeps frames short in both.
  const FRAME_LINES = 300;
  const EARLIER_LINES = 1000;
  const FIRST_LINES = 200;
  const FILTERS = ["priority", "since", "until", "text", "boot"];

  const ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"};
  const escape = (text) => String(text).replace(/[&<>"]/g, (c) => ESCAPES[c]);

  function stamp(us) {
    return new Date(us / 1000).toISOString().slice(0, 23).replace("T", " ");
  }

  // One line: [cursor, time_us, priority, origin, pid, message].
  function html([, us, priority, origin, pid, message]) {
    const who = pid ? `${origin}[${pid}]` : origin;
    return `<div class="ll p${priority | 0}"><span class="ts">${stamp(us)}</span><span class="or">${escape(who)}</span>` +
      `<span class="msg">${escape(message)}</span></div>`;
  }

  class LogPane {
    constructor(el) {
      this.el = el;
      el.logPane = this;
      this.box = el.querySelector(".log-lines");
      this.status = el.querySelector(".log-status");
      this.max = MAX_LINES;
      this.dropped = 0;       // lines that left the view at the top
      this.received = 0;      // lines received since the page opened
      this.reconnects = 0;
      this.lastCursor = null;
      this.cursors = [];      // the cursor of each line in the DOM, in order
      this.queue = [];        // batches received and not drawn yet
      this.queued = 0;
      this.frame = 0;
      this.follow = el.dataset.follow !== "false";
      this.stopped = false;
      this.ended = false;
      const data = el.dataset;
      this.params = {kind: data.logKind, name: data.logName};
      for (const key of FILTERS) this.params[key] = data["filter" + key[0].toUpperCase() + key.slice(1)] || "";
      this.wire();
      this.connect();
    }

    wire() {
      const q = (s) => this.el.querySelector(s);
      q(".log-follow").addEventListener("change", (e) => this.setFollow(e.target.checked));
      q(".log-timestamps").addEventListener("change", (e) => this.el.classList.toggle("no-timestamps", !e.target.checked));
      q(".log-earlier").addEventListener("click", () => this.loadEarlier());
      const query = new URLSearchParams(Object.entries(this.params).filter(([, v]) => v));
      for (const link of this.el.querySelectorAll(".log-download")) {
        query.set("format", link.dataset.format);
        link.href = `${this.el.dataset.download}?${query}`;
        link.setAttribute("download", "");
      }
    }

    connect() {
      this.ended = false;
      this.socket = new window.PodhouseSocket.LiveSocket(this.el.dataset.ws, {
        open: (socket) => {
          this.say(this.follow ? "following" : "loading…");
          socket.send({type: "open", ...this.params, lines: FIRST_LINES, follow: this.follow, after: this.lastCursor});
        },
        message: (message) => this.receive(message),
        loggedOut: () => this.say("logged out: reload the page"),
        // Dropped: come back after the last line we have, with a growing pause.
        dropped: () => {
          if (this.ended) return false;
          this.say("reconnecting…");
          this.reconnects += 1;
          return true;
        },
      }).connect();
    }

    receive(message) {
      switch (message.t) {
        case "lines": return this.append(message.lines);
        case "earlier": return this.prepend(message.lines, message.more);
        case "source": return this.showSource(message);
        case "end":
          this.ended = true;
          return this.say(`${this.received} lines, not following`);
        case "error": return this.showError(message.message);
      }
    }

    showSource(message) {
      this.el.querySelector(".log-source").textContent = `Logs of ${message.description}`;
      const note = this.el.querySelector(".log-note");
      note.textContent = message.note || "";
      note.classList.toggle("hidden", !message.note);
    }

    showError(text) {
      const box = this.el.querySelector(".log-error");
      box.textContent = text;
      box.classList.remove("hidden");
      this.say("error");
    }

    say(text) {
      this.status.textContent = text;
    }

    // Lines are queued as they come and drawn once per animation frame, as one HTML
    // string: work per frame is bounded by the lines kept, not by the lines received,
    // so a flood never freezes the page.
    append(lines) {
      if (!lines.length) return;
      this.received += lines.length;
      this.lastCursor = lines[lines.length - 1][0];
      this.queue.push(lines);
      this.queued += lines.length;
      while (this.queued - this.queue[0].length >= this.max) this.queued -= this.skip(this.queue.shift());
      if (!this.frame) this.frame = requestAnimationFrame(() => this.flush());
    }

    skip(lines) {
      this.dropped += lines.length;
      return lines.length;
    }

    flush() {
      this.frame = 0;
      let lines = this.queue.length === 1 ? this.queue[0] : this.queue.flat();
      this.queue = [];
      this.queued = 0;
      const box = this.box;
      if (lines.length > FRAME_LINES) {
        // A flood: more than a frame can lay out.  Show its newest lines only; what
        // was on screen and the rest of the flood leave the view together, so the
        // pane never has a hole in the middle ("Load earlier" brings them back).
        this.skip(this.cursors);
        this.cursors = [];
        box.textContent = "";
        this.skip(lines.slice(0, lines.length - FRAME_LINES));
        lines = lines.slice(lines.length - FRAME_LINES);
      }
      const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
      box.insertAdjacentHTML("beforeend", lines.map(html).join(""));
      for (const entry of lines) this.cursors.push(entry[0]);
      this.trim();
      if (atBottom) box.scrollTop = box.scrollHeight;
      if (this.follow) this.say(`following · ${this.received} lines received`);
      this.el.dispatchEvent(new CustomEvent("logpane:drawn", {detail: lines}));
    }

    trim() {
      const excess = this.cursors.length - this.max;
      if (excess > 0) {
        const range = document.createRange();
        range.setStartBefore(this.box.firstElementChild);
        range.setEndAfter(this.box.children[excess - 1]);
        range.deleteContents();
        this.cursors.splice(0, excess);
        this.dropped += excess;
      }
      const note = this.el.querySelector(".log-dropped");
      note.textContent = `${this.dropped} earlier lines left the view (the pane keeps the last ${this.max}); "Load earlier" brings them back.`;
      note.classList.toggle("hidden", !this.dropped);
    }

    prepend(lines, more) {
      const button = this.el.querySelector(".log-earlier");
      button.disabled = !more;
      if (!more) button.textContent = "Start of the log";
      if (!lines.length) return;
      // Lines asked for stay: the bound grows by what was fetched on purpose.
      this.max = Math.max(this.max, this.cursors.length + lines.length);
      this.dropped = Math.max(0, this.dropped - lines.length);
      this.box.insertAdjacentHTML("afterbegin", lines.map(html).join(""));
      this.cursors.unshift(...lines.map((entry) => entry[0]));
      this.trim();
    }

    loadEarlier() {
      if (!this.cursors.length) return;
      if (!this.socket || !this.socket.open) return this.say("not connected");
      this.socket.send({type: "earlier", cursor: this.cursors[0], lines: EARLIER_LINES});
    }

    setFollow(on) {
      this.follow = on;
      if (on) {
        this.stopped = false;
        if (this.socket) this.socket.stop();
        this.connect();
      } else {
        this.stop();
      }
    }

    stop() {
      this.stopped = true;
      if (this.socket) this.socket.stop();
      this.say("paused");
    }
  }

  function initAll(root) {
    for (const el of root.querySelectorAll(".log-pane")) {
      if (!el.logPane) new LogPane(el);
    }
  }

  window.PodhouseLogPane = {LogPane, initAll, MAX_LINES, FRAME_LINES};
  document.addEventListener("htmx:load", (event) => initAll(event.target));
  document.addEventListener("htmx:beforeCleanupElement", (event) => {
    if (event.target.logPane) event.target.logPane.stop();
  });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => initAll(document));
  else initAll(document);
})();
