"""Decoding the libpod logs endpoint's multiplexed stream into (stream, line) pairs.

Each frame is an 8-byte header (stream number, three zero bytes, big-endian payload
size) then the payload.  A container with a terminal may be answered without headers;
then the bytes are plain stdout."""
from __future__ import annotations

import struct

STREAMS = {0: "stdin", 1: "stdout", 2: "stderr", 3: "system"}
HEADER = struct.Struct(">BxxxI")


class LogFrameDecoder:
    """Feed bytes as they arrive; get back complete lines.  Partial lines wait for
    their end (per stream), and `finish()` gives back what is left at the end."""

    def __init__(self):
        self._buffer = b""
        self._partial: dict[str, bytes] = {}
        self._raw: bool | None = None  # decided by the first 8 bytes

    def feed(self, data: bytes) -> list[tuple[str, str]]:
        self._buffer += data
        lines: list[tuple[str, str]] = []
        if self._raw is None:
            if len(self._buffer) < HEADER.size:
                return lines
            head = self._buffer[:HEADER.size]
            self._raw = not (head[0] in STREAMS and head[1:4] == b"\0\0\0")
        if self._raw:
            payload, self._buffer = self._buffer, b""
            return self._split("stdout", payload)
        while len(self._buffer) >= HEADER.size:
            number, size = HEADER.unpack_from(self._buffer)
            if len(self._buffer) < HEADER.size + size:
                break
            payload = self._buffer[HEADER.size:HEADER.size + size]
            self._buffer = self._buffer[HEADER.size + size:]
            lines.extend(self._split(STREAMS.get(number, "stdout"), payload))
        return lines

    def _split(self, stream: str, payload: bytes) -> list[tuple[str, str]]:
        text = self._partial.pop(stream, b"") + payload
        *complete, rest = text.split(b"\n")
        if rest:
            self._partial[stream] = rest
        return [(stream, line.decode("utf-8", errors="replace").removesuffix("\r")) for line in complete]

    def finish(self) -> list[tuple[str, str]]:
        lines = []
        if self._buffer and self._raw is False:
            # a header without all its payload: keep what came, it is still the log
            lines.extend(self._split("stdout", self._buffer[HEADER.size:]))
        elif self._buffer:
            lines.extend(self._split("stdout", self._buffer))
        self._buffer = b""
        for stream, rest in list(self._partial.items()):
            lines.append((stream, rest.decode("utf-8", errors="replace")))
        self._partial.clear()
        return lines
