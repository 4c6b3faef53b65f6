#!/usr/bin/python3
"""Starts tests/emulator/airbyte_emulator.py (same flags) with TCP_NODELAY on its sockets.

The stock emulator writes a response's headers and body in two send() calls. On a keep-alive
connection the body then waits for the client's delayed ACK (Nagle's algorithm): about 40 ms per
request with a small answer, from the second request on a connection. A client that reuses
connections (airbytefs, libcurl) pays it on every GET /connections/{id} and PATCH; a client that
opens a new connection per request (one curl process each) does not. Real Airbyte servers set
TCP_NODELAY (Netty, Jetty), so the benchmark does too unless run with --emulator-nagle.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "emulator"))

import airbyte_emulator  # noqa: E402

airbyte_emulator.Handler.disable_nagle_algorithm = True

if __name__ == "__main__":
    sys.exit(airbyte_emulator.main())
