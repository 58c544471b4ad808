// The one websocket client of Podhouse's own scripts (the log pane, the stats charts;
// htmx's ws extension serves the live lists).  It connects to a path on this host,
// hands each JSON message to `message`, reconnects with a growing pause when the
// socket drops, and stops for good when the server says the login is gone.
(() => {
  if (window.PodhouseSocket) return;
  // Close codes of dashboard/consumers/base.py.
  const CLOSE = {BAD_REQUEST: 4400, LOGIN_REQUIRED: 4401, NOT_FOUND: 4404};
  const FIRST_PAUSE = 250;
  const LONGEST_PAUSE = 5000;

  class LiveSocket {
    // handlers: open(socket), message(data), dropped(event) -> false to stay closed,
    // loggedOut(); all optional.
    constructor(path, handlers) {
      this.path = path;
      this.handlers = handlers || {};
      this.pause = FIRST_PAUSE;
      this.stopped = false;
      this.ws = null;
      this.timer = 0;
    }

    connect() {
      clearTimeout(this.timer);
      this.stopped = false;
      const scheme = location.protocol === "https:" ? "wss:" : "ws:";
      const ws = new WebSocket(`${scheme}//${location.host}${this.path}`);
      this.ws = ws;
      ws.onopen = () => {
        this.pause = FIRST_PAUSE;
        if (this.handlers.open) this.handlers.open(this);
      };
      ws.onmessage = (event) => { if (this.handlers.message) this.handlers.message(JSON.parse(event.data)); };
      ws.onclose = (event) => this.closed(event);
      return this;
    }

    closed(event) {
      if (event.target !== this.ws) return;  // an older socket, replaced meanwhile
      this.ws = null;
      if (event.code === CLOSE.LOGIN_REQUIRED) {
        if (this.handlers.loggedOut) this.handlers.loggedOut();
        return;
      }
      if (this.stopped) return;
      if (this.handlers.dropped && this.handlers.dropped(event) === false) return;
      this.timer = setTimeout(() => { if (!this.stopped && !this.ws) this.connect(); }, this.pause);
      this.pause = Math.min(this.pause * 2, LONGEST_PAUSE);
    }

    get open() { return !!this.ws && this.ws.readyState === WebSocket.OPEN; }

    send(message) { this.ws.send(JSON.stringify(message)); }

    // Closed on purpose: no reconnect until connect() is called again.
    stop() {
      this.stopped = true;
      clearTimeout(this.timer);
      if (this.ws) this.ws.close(1000);
      this.ws = null;
    }
  }

  window.PodhouseSocket = {LiveSocket, CLOSE};
})();
