#!/usr/bin/python3
# A stateful emulator of the Airbyte API (public API + the Config API parts airbytefs uses),
# quirks included, for airbytefs' tests and demos. Standard library only.
#
#   /usr/bin/python3 tests/emulator/airbyte_emulator.py --port 0 --port-file /tmp/port
#
# This file holds the command line, the HTTP server, request accounting and fault delivery; the
# API itself lives in public_api.py, config_api.py and admin_api.py (see README.md).

import argparse
import collections
import itertools
import json
import os
import re
import signal
import socket
import struct
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import admin_api  # noqa: E402
import config_api  # noqa: E402
import faults  # noqa: E402
import public_api  # noqa: E402
import seed  # noqa: E402
from problems import (ApiError, invalid_api_key, rate_limited, route_not_found, try_again_later,  # noqa: E402
                      unexpected)  # noqa: E402
from state import Settings, Store  # noqa: E402
from web import Request, Response, Router, error_response  # noqa: E402

LOG_SIZE = 2000


class RequestLog:
    """Counters and the last LOG_SIZE API requests, for /_emulator/requests."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.total = 0
            self.counts = collections.Counter()
            self.routes = collections.Counter()
            self.log = collections.deque(maxlen=LOG_SIZE)
            self.in_flight = collections.Counter()
            self.peak_in_flight = collections.Counter()
            self.reset_counters()

    def reset_counters(self):
        self.by_connection = collections.defaultdict(collections.Counter)

    def begin(self, key):
        """A request on route `key` ("GET /templated/{id}") is being served: it counts towards
        that route's in-flight requests until end(key); peak_in_flight keeps the most at once."""
        with self.lock:
            self.in_flight[key] += 1
            if self.in_flight[key] > self.peak_in_flight[key]:
                self.peak_in_flight[key] = self.in_flight[key]

    def end(self, key):
        with self.lock:
            if self.in_flight[key] > 0:
                self.in_flight[key] -= 1

    def record(self, method, path, query, status, body, route, fault, connection_id=None, tcp=None):
        """`connection_id`: the Airbyte connection the request is about (path, body or job), for
        the per-connection counters; `tcp`: (serial, reused) of the TCP connection it came on."""
        with self.lock:
            self.total += 1
            self.counts["%s %s" % (method, path)] += 1
            self.routes["%s %s" % (method, route)] += 1
            if connection_id:
                self.by_connection[connection_id]["%s %s" % (method, route)] += 1
            entry = {"method": method, "path": path, "query": query, "status": status,
                     "body": body, "fault": fault, "connectionId": connection_id}
            if tcp is not None:
                entry["tcp"], entry["reused"] = tcp
            self.log.append(entry)

    def snapshot(self):
        with self.lock:
            return {"total": self.total, "counts": dict(self.counts), "routes": dict(self.routes),
                    "peak_in_flight": {k: n for k, n in self.peak_in_flight.items() if n},
                    "connections": {c: dict(n) for c, n in self.by_connection.items()},
                    "log": list(self.log)}


class App:
    def __init__(self, store, quiet):
        self.store = store
        self.quiet = quiet
        self.faults = faults.FaultTable()
        self.requests = RequestLog()
        self.api = Router()
        public_api.routes(self.api)
        config_api.routes(self.api)
        self.admin = Router()
        admin_api.routes(self.admin)

    def authorized(self, req):
        header = req.headers.get("Authorization") or ""
        if not header[:7].lower() == "bearer ":
            return False
        return self.store.token_valid(header[7:].strip())

    def dispatch(self, router, req, check_auth=True):
        try:
            if check_auth and req.path.startswith(config_api.ROOT + "/") and \
                    not self.store.settings.config_api_enabled:
                raise route_not_found(req.path)
            route, params = router.find(req.method, req.path)
            req.params = params
            if check_auth and route.auth and not self.authorized(req):
                raise invalid_api_key()
            return route.handler(self, req)
        except ApiError as e:
            return error_response(e)
        except Exception:
            traceback.print_exc()
            return error_response(unexpected())


class Handler(BaseHTTPRequestHandler):
    # Real Airbyte servers (Netty, Jetty) set TCP_NODELAY; without it a keep-alive client waits for
    # a delayed ACK (~40 ms) on every request after the first, since headers and body go apart.
    disable_nagle_algorithm = True
    protocol_version = "HTTP/1.1"
    server_version = "airbyte-emulator/1.0"

    def do_GET(self):
        self.handle_request()

    do_POST = do_PATCH = do_DELETE = do_PUT = do_HEAD = do_GET

    def log_message(self, fmt, *args):
        pass

    def read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            data = b"".join(chunks)
        else:
            length = int(self.headers.get("Content-Length") or 0)
            data = self.rfile.read(length) if length > 0 else b""
        return data.decode("utf-8", "replace") if data else None

    def setup(self):
        super().setup()
        # One handler per TCP connection (HTTP/1.1 keep-alive: many requests each): faults can
        # target reused connections, and the log says which connection a request came on.
        self.tcp_serial = next(TCP_SERIALS)
        self.served = 0

    def handle_request(self):
        app = self.server.app
        started = time.time()
        body = self.read_body()
        req = Request(self.command, self.path, body, self.headers)
        if req.path == admin_api.ROOT or req.path.startswith(admin_api.ROOT + "/"):
            resp = app.dispatch(app.admin, req, check_auth=False)
            self.send(resp)
            return
        reused = self.served > 0
        self.served += 1
        flight = "%s %s" % (req.method, app.api.template_for(req.method, req.path))
        app.requests.begin(flight)
        try:
            self.serve_api(app, req, body, started, reused)
        finally:
            app.requests.end(flight)

    def serve_api(self, app, req, body, started, reused):
        latency = app.store.settings.latency_ms
        if latency > 0:
            time.sleep(latency / 1000.0)
        fault = app.faults.match(req.method, req.path, reused)
        kind = fault.kind if fault else None
        stall_after = kind == "stall" and fault.when == "after"
        if fault is not None and fault.delay_ms > 0 and not stall_after:
            time.sleep(fault.delay_ms / 1000.0)

        def record(status):
            app.requests.record(req.method, req.path, req.query_string, status, body,
                                app.api.template_for(req.method, req.path), kind,
                                connection_of(app, req), (self.tcp_serial, reused))
            if not app.quiet:
                sys.stderr.write("%s %s %s -> %s%s (%.1f ms)\n" % (
                    time.strftime("%H:%M:%S"), req.method, self.path, status,
                    " [fault %s]" % kind if kind else "", (time.time() - started) * 1000))

        if kind == "stall" and not stall_after and fault.then != "answer":
            record(0)  # held, then dropped before the server did anything
            self.drop(fault.then)
            return
        if fault is not None and fault.replaces:
            resp = self.fault_status_response(fault, req)
        else:
            resp = app.dispatch(app.api, req)
            if kind == "malformed":
                resp = Response(200, raw='{"data": [{"connectionId": "9924bcd0", "name": oops')
            elif kind == "wrongtype":
                resp = Response(resp.status, faults.wrong_types(resp.json_value()), headers=resp.headers)
        record(resp.status)
        if stall_after:
            time.sleep(fault.delay_ms / 1000.0)
            if fault.then != "answer":
                self.drop(fault.then)
                return
        if kind == "reset_after":
            # The server acted; not one byte of the answer goes out. A client that sent this on a
            # reused keep-alive connection cannot tell it from a connection that went stale.
            self.drop("close" if fault.then == "close" else "reset")
            return
        self.send(resp, kind, fault.cut_at if fault else None)

    @staticmethod
    def fault_status_response(fault, req):
        if fault.status == 429:
            return error_response(rate_limited(fault.retry_after))
        if fault.status == 401:
            resp = error_response(invalid_api_key())
        elif fault.status == 409:
            resp = error_response(try_again_later("Injected fault: try again later"))
        elif fault.status >= 500:
            resp = error_response(unexpected(fault.status))
        else:
            resp = Response(fault.status, {"type": "about:blank", "title": "injected-fault",
                                           "status": fault.status, "detail": "Injected fault"})
        if fault.retry_after is not None:
            resp.headers["Retry-After"] = str(fault.retry_after)
        return resp

    def send(self, resp, fault_kind=None, cut_at=None):
        payload = resp.payload()
        if self.command == "HEAD" or resp.status in (204, 304):
            payload = b""
        self.send_response(resp.status)
        if resp.status != 204:
            self.send_header("Content-Type", resp.content_type)
        length = len(payload)
        if fault_kind == "truncate":
            length += 100 + length // 2
        if resp.status != 204:
            self.send_header("Content-Length", str(length))
        for k, v in resp.headers.items():
            self.send_header(k, v)
        if fault_kind in ("reset", "truncate"):
            self.send_header("Connection", "close")
        self.end_headers()
        if fault_kind in ("reset", "cut"):
            # reset: half the body, then RST; cut: the real Content-Length, part of the body
            # (`cut_at` bytes, default half), then an orderly close (FIN).
            n = len(payload) // 2 if cut_at is None else min(cut_at, max(len(payload) - 1, 0))
            self.wfile.write(payload[:n])
            self.wfile.flush()
            self.drop("reset" if fault_kind == "reset" else "close")
            return
        self.wfile.write(payload)
        self.wfile.flush()
        if fault_kind == "truncate":
            self.close_connection = True

    def drop(self, how):
        """End the TCP connection now: "close" (FIN) or "reset" (RST)."""
        if how == "reset":
            self.abort_connection()
            return
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.close_connection = True

    def abort_connection(self):
        """Close with RST (SO_LINGER 0), the way a crashing proxy drops a response."""
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass
        self.close_connection = True


TCP_SERIALS = itertools.count(1)


def connection_of(app, req):
    """The Airbyte connection a request is about: its path, its body's connectionId, or its job's."""
    m = CONNECTION_IN_PATH.search(req.path)
    if m:
        return m.group(1)
    m = JOB_IN_PATH.search(req.path)
    if m:
        with app.store.lock:
            job = app.store.jobs.get(int(m.group(1)))
        return job.connection_id if job else None
    if req.body and "connectionId" in req.body:
        try:
            value = json.loads(req.body)
        except ValueError:
            return None
        if isinstance(value, dict) and isinstance(value.get("connectionId"), str):
            return value["connectionId"]
    if req.method == "GET" and "connectionId=" in req.query_string:
        return (req.arg("connectionId") or None)
    return None


CONNECTION_IN_PATH = re.compile(r"/connections/([0-9a-fA-F-]{36})(?:/|$)")
JOB_IN_PATH = re.compile(r"/jobs/(\d{1,18})$")


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def handle_error(self, request, client_address):
        # Clients that hang up mid-response are routine here (timeouts, fault tests).
        if not isinstance(sys.exc_info()[1], (ConnectionError, BrokenPipeError, socket.timeout)):
            super().handle_error(request, client_address)


def parse_args(argv):
    p = argparse.ArgumentParser(description="Stateful Airbyte API emulator for airbytefs tests.")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port")
    p.add_argument("--port-file", help="write the bound port number to this file (atomically)")
    p.add_argument("--connections", type=int, default=10,
                   help="connections in the demo workspace (max %d)" % seed.MAX_CONNECTIONS)
    p.add_argument("--token-lifetime", type=int, default=900, help="expires_in of issued tokens (s)")
    p.add_argument("--latency-ms", type=float, default=0.0, help="delay added to every API request")
    p.add_argument("--job-duration", type=float, default=3.0, help="seconds a job runs")
    p.add_argument("--no-config-api", action="store_true", help="answer 404 under /api/v1/")
    p.add_argument("--advertised-host", default="http://airbyte-airbyte-server-svc:8001",
                   help="host used in pagination next/previous links")
    p.add_argument("--quiet", action="store_true", help="no per-request log on stderr")
    args = p.parse_args(argv)
    if not 0 <= args.connections <= seed.MAX_CONNECTIONS:
        p.error("--connections must be between 0 and %d" % seed.MAX_CONNECTIONS)
    return args


def write_port_file(path, port):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.replace(tmp, path)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    settings = Settings(args.latency_ms, args.token_lifetime, args.job_duration, not args.no_config_api)
    store = Store(args.connections, settings, args.advertised_host)
    server = Server((args.host, args.port), Handler)
    server.app = App(store, args.quiet)
    port = server.server_address[1]

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print("listening on http://%s:%d" % (args.host, port), flush=True)
    if args.port_file:
        write_port_file(args.port_file, port)
    try:
        server.serve_forever(poll_interval=0.2)
    except (SystemExit, KeyboardInterrupt):
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
