"""Plain HTTP/1.1 over a socket, shared by the test tools: the edge stand-in, the load generator, the TLS
matrix probe and the fleet driver.

Standard library only, and in tests/fleet because the edge container mounts this folder alone
(edge.py runs there with the image's python3); tests/origin puts it on sys.path.
"""

import ssl


def get(sock, path, host, headers=""):
    """Send ``GET path`` (Connection: close) on a connected socket; return the whole answer (bytes)."""
    sock.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n%s\r\n" % (path, host, headers)).encode())
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk


def status(data):
    """The status code of an HTTP answer (bytes that start with ``HTTP/``)."""
    return int(data.split(b" ", 2)[1])


def client_context(pair=None):
    """A TLS client context that checks nothing of the server (the tests judge the server, not trust it),
    presenting the client certificate ``pair`` (crt, key) when given."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if pair:
        ctx.load_cert_chain(*pair)
    return ctx
