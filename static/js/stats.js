// A container's live resource use: samples from its stats websocket (one a second),
// the last 60 drawn as two line charts, CPU and memory, with the latest figures.
(() => {
  if (window.PodhouseStats) return;
  const KEEP = 60;

  function bytes(n) {
    const units = ["B", "kB", "MB", "GB", "TB"];
    let i = 0;
    while (n >= 1000 && i < units.length - 1) { n /= 1000; i += 1; }
    return `${n.toFixed(n >= 100 || i === 0 ? 0 : 1)} ${units[i]}`;
  }

  // Points of a polyline in a 300x60 box; the newest sample at the right edge.
  function points(values, top) {
    const step = 300 / (KEEP - 1);
    const offset = KEEP - values.length;
    return values.map((v, i) => `${((offset + i) * step).toFixed(1)},${(60 - Math.min(v / top, 1) * 58).toFixed(1)}`).join(" ");
  }

  class StatsPanel {
    constructor(el) {
      this.el = el;
      el.statsPanel = this;
      this.cpu = [];
      this.memory = [];
      this.connect();
    }

    q(selector) { return this.el.querySelector(selector); }

    say(text, state) {
      this.q(".stats-status").textContent = text;
      this.el.dataset.state = state;
    }

    connect() {
      this.socket = new window.PodhouseSocket.LiveSocket(this.el.dataset.ws, {
        message: (message) => this.receive(message),
        loggedOut: () => this.say("logged out: reload the page", "closed"),
        dropped: (event) => {
          // too many resource views open for this account (dashboard/live/stats_streams.py)
          if (event.code === 4429) {
            this.say(event.reason || "too many resource views open", "closed");
            return false;
          }
          return this.el.dataset.state !== "gone";
        },
      }).connect();
    }

    receive(message) {
      if (message.gone) return this.say(message.gone, "gone");
      if (message.error) return this.say(message.error, "error");
      this.add(message.sample);
    }

    add(s) {
      this.cpu.push(s.cpu_percent);
      this.memory.push(s.memory_bytes);
      if (this.cpu.length > KEEP) { this.cpu.shift(); this.memory.shift(); }
      // CPU against at least one whole core; memory against the peak seen (the limit is often the host's RAM)
      const cpuTop = Math.max(100, ...this.cpu);
      const memoryTop = Math.max(1, ...this.memory) * 1.25;
      this.q(".stats-cpu-chart polyline").setAttribute("points", points(this.cpu, cpuTop));
      this.q(".stats-memory-chart polyline").setAttribute("points", points(this.memory, memoryTop));
      this.q(".stats-cpu-scale").textContent = `(chart 0–${cpuTop.toFixed(0)} %)`;
      this.q(".stats-memory-scale").textContent = `(chart 0–${bytes(memoryTop)})`;
      this.q(".stats-cpu").textContent = `${s.cpu_percent.toFixed(1)} %`;
      this.q(".stats-memory").textContent = bytes(s.memory_bytes);
      this.q(".stats-limit").textContent = s.memory_limit_bytes ? `limit ${bytes(s.memory_limit_bytes)}` : "";
      this.q(".stats-pids").textContent = String(s.pids);
      this.q(".stats-net").textContent = `${bytes(s.net_in_bytes)} / ${bytes(s.net_out_bytes)}`;
      this.q(".stats-block").textContent = `${bytes(s.block_in_bytes)} / ${bytes(s.block_out_bytes)}`;
      this.el.dataset.samples = String((Number(this.el.dataset.samples) || 0) + 1);
      this.say(s.running ? "live, a sample a second" : "not running", s.running ? "running" : "stopped");
    }

    stop() {
      this.socket.stop();
    }
  }

  function initAll(root) {
    for (const el of root.querySelectorAll(".stats-panel")) if (!el.statsPanel) new StatsPanel(el);
  }

  window.PodhouseStats = {StatsPanel, initAll};
  document.addEventListener("htmx:load", (event) => initAll(event.target));
  document.addEventListener("htmx:beforeCleanupElement", (event) => {
    if (event.target.statsPanel) event.target.statsPanel.stop();
  });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => initAll(document));
  else initAll(document);
})();
