"""Exit 0 when something accepts TCP connections on HOST PORT (used by `make test`)."""

import socket
import sys

host, port = sys.argv[1], int(sys.argv[2])
try:
    socket.create_connection((host, port), timeout=1).close()
except OSError:
    sys.exit(1)
