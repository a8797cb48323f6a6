"""A Kubernetes Service's part, here: one address in front of a chart's replicas, each TCP
connection passed to the first replica that accepts it (a dead pod's endpoint is gone), the
replica that served it counted. The runtime tier uses it where the platform's Jobs Service
calls a chart back at its Service."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections import Counter
from collections.abc import Iterator


class ServiceProxy:
    def __init__(self, listener: socket.socket) -> None:
        self.listener = listener
        self.port = listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.backends: list[int] = []  # replicas' ports, in the order they are tried
        self.served: Counter[int] = Counter()  # connections per replica port

    def serve(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._pass, args=(client,), daemon=True).start()

    def _pass(self, client: socket.socket) -> None:
        for port in list(self.backends):
            try:
                backend = socket.create_connection(("127.0.0.1", port), timeout=2)
            except OSError:
                continue
            backend.settimeout(None)
            self.served[port] += 1
            threading.Thread(target=_pipe, args=(backend, client), daemon=True).start()
            _pipe(client, backend)
            return
        client.close()


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)
    for end in (source, sink):
        with contextlib.suppress(OSError):
            end.shutdown(socket.SHUT_RDWR)
        end.close()


@contextlib.contextmanager
def service_proxy() -> Iterator[ServiceProxy]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    proxy = ServiceProxy(listener)
    threading.Thread(target=proxy.serve, daemon=True).start()
    try:
        yield proxy
    finally:
        listener.close()
