"""The hub's HTTP/1.1 protocol: uvicorn's httptools one, with the request's head bounded.

httptools (llhttp, in C) parses a routine sync for a fraction of what h11 (pure Python) costs,
but uvicorn sets no limit on its request line and headers: a client sending headers without end
would grow the hub's memory until the connection closed. Here the bytes received while a
request's head is incomplete are counted; past ``HEAD_BYTES`` the request is answered 431 and the
connection closed (nginx's default limit for a head is 32 KiB; h11's in uvicorn, 16 KiB).
"""

from __future__ import annotations

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

HEAD_BYTES = 16 << 10

REFUSED = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: text/plain; charset=utf-8\r\n"
    b"content-length: 45\r\n"
    b"connection: close\r\n\r\n"
    b"the request line and headers pass 16384 bytes"
)


class BoundedHttpTools(HttpToolsProtocol):
    """``HttpToolsProtocol`` refusing a request whose head passes ``HEAD_BYTES`` bytes."""

    _in_head = True  # waiting for (or reading) a request's line and headers
    _head_bytes = 0

    def data_received(self, data: bytes) -> None:
        if self._in_head:
            self._head_bytes += len(data)
        super().data_received(data)
        if self._in_head and self._head_bytes > HEAD_BYTES and not self.transport.is_closing():
            self.logger.warning("refused a request whose head passes %d bytes", HEAD_BYTES)
            self.transport.write(REFUSED)
            self.transport.close()

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head = True  # the next request on this connection
        self._head_bytes = 0
