"""A minimal stand-in for the AWS Lambda Runtime API (what the Lambda service offers the
runtime inside the container), enough for `python -m awslambdaric <handler>` to answer events:

- `GET  /2018-06-01/runtime/invocation/next` hands out the queued events one by one (then
  waits until the stub is closed);
- `POST /2018-06-01/runtime/invocation/{id}/response` and `.../{id}/error` record the result;
- `POST /2018-06-01/runtime/init/error` records an initialisation failure.

TCP_NODELAY matters: without it every round trip waits ~40 ms for delayed ACKs.
"""

from __future__ import annotations

import json
import queue
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PREFIX = "/2018-06-01/runtime"


class RuntimeApiStub:
    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.pending: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()
        for n, event in enumerate(events):
            self.pending.put((f"stub-request-{n}", event))
        self.results: queue.Queue[tuple[str, str, Any]] = queue.Queue()
        self.closed = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def address(self) -> str:
        host, port = self.server.server_address[:2]
        return f"{host!s}:{port}"

    def __enter__(self) -> RuntimeApiStub:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.closed.set()
        self.server.shutdown()
        self.server.server_close()

    def result(self, timeout: float) -> tuple[str, str, Any]:
        """(request id, "response" | "error" | "init_error", JSON payload) of the next result."""
        return self.results.get(timeout=timeout)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # TCP_NODELAY

            def log_message(self, *_args: Any) -> None:
                return None

            def handle(self) -> None:
                try:
                    super().handle()
                except (ConnectionResetError, BrokenPipeError):
                    return  # the runtime process was stopped while waiting for /next

            def _reply(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                if self.path != f"{PREFIX}/invocation/next":
                    self._reply(404, b"{}", {})
                    return
                while not stub.closed.is_set():
                    try:
                        request_id, event = stub.pending.get(timeout=0.1)
                    except queue.Empty:
                        continue
                    self._reply(
                        200,
                        json.dumps(event).encode(),
                        {
                            "Lambda-Runtime-Aws-Request-Id": request_id,
                            "Lambda-Runtime-Deadline-Ms": "4102444800000",
                            "Lambda-Runtime-Invoked-Function-Arn": (
                                "arn:aws:lambda:us-east-1:123456789012:function:courtside-test"
                            ),
                            "Lambda-Runtime-Trace-Id": "Root=1-6741c5a1-0123456789abcdef01234567",
                            "Content-Type": "application/json",
                        },
                    )
                    return

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                payload = json.loads(self.rfile.read(length) or b"null")
                parts = self.path.removeprefix(PREFIX).strip("/").split("/")
                if parts == ["init", "error"]:
                    stub.results.put(("", "init_error", payload))
                elif len(parts) == 3 and parts[0] == "invocation":
                    stub.results.put((parts[1], parts[2], payload))
                self._reply(202, b"{}", {"Content-Type": "application/json"})

        return Handler
