# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Editing the operator's own web-server configuration, minimally.

PRIVATE to the collection. Imports nothing from Ansible.

The origin roles never own a vhost: they write their directives into a snippet file and make sure
the chosen TLS virtual host includes it, by inserting one marked line into the operator's file.
This module finds the right block (nginx ``server { }`` with ``listen ... ssl``; Apache
``<VirtualHost>`` with ``SSLEngine on``), optionally by server name, and inserts or removes lines.
"""

from __future__ import annotations

import json
import os
import re

MARKER = "# originpulls.aop"
# Apache has no trailing comments: there the marker is a comment line of its own, just above.
MARKER_ABOVE = "# originpulls.aop: the next line is managed"


class ConfigEditError(Exception):
    pass


class Block:
    """One server block / virtual host: character offsets into the text."""

    def __init__(self, start, body_start, end, header):
        self.start = start  # offset of the block's first character
        self.body_start = body_start  # offset just after '{' or the '<VirtualHost ...>' line
        self.end = end  # offset of the closing '}' or '</VirtualHost>'
        self.header = header

    def body(self, text):
        return text[self.body_start : self.end]


# ---------------------------------------------------------------- nginx
def _nginx_tokens(text):
    """Yield (offset, char) for braces and semicolons outside comments and quotes."""
    i, n = 0, len(text)
    quote = None
    while i < n:
        c = text[i]
        if quote:
            if c == "\\":
                i += 2
                continue
            if c == quote:
                quote = None
        elif c in ("'", '"'):
            quote = c
        elif c == "#":
            nl = text.find("\n", i)
            i = n if nl < 0 else nl
            continue
        elif c in "{};":
            yield i, c
        i += 1


def nginx_blocks(text, name="server"):
    """Top-level-or-nested ``server { }`` blocks (inside http {} or at file level)."""
    blocks = []
    stack = []  # (open offset, statement start)
    stmt_start = 0
    for off, c in _nginx_tokens(text):
        if c == "{":
            stack.append((off, stmt_start))
            stmt_start = off + 1
        elif c == "}":
            if not stack:
                raise ConfigEditError("unbalanced '}' at offset %d" % off)
            open_off, start = stack.pop()
            header = _strip_comments(text[start:open_off]).strip()
            if header.split()[:1] == [name]:
                blocks.append(Block(start + len(text[start:open_off]) - len(text[start:open_off].lstrip()), open_off + 1, off, header))
            stmt_start = off + 1
        else:
            stmt_start = off + 1
    if stack:
        raise ConfigEditError("unbalanced '{' (a block is not closed)")
    return blocks


def _strip_comments(s):
    return "\n".join(line.split("#", 1)[0] for line in s.splitlines())


def _nginx_directives(body):
    """Directives at depth 0 of a block body: list of (name, args)."""
    out = []
    depth = 0
    start = 0
    for off, c in _nginx_tokens(body):
        if c == "{":
            if depth == 0:
                start = off + 1
            depth += 1
        elif c == "}":
            depth -= 1
            start = off + 1
        elif c == ";":
            if depth == 0:
                words = _strip_comments(body[start:off]).split()
                if words:
                    out.append((words[0], words[1:]))
            start = off + 1
    return out


def nginx_is_tls(body):
    for name, args in _nginx_directives(body):
        if name == "listen" and ("ssl" in args or "quic" in args):
            return True
        if name == "ssl" and args[:1] == ["on"]:
            return True
    return False


def nginx_server_names(body):
    names = []
    for name, args in _nginx_directives(body):
        if name == "server_name":
            names.extend(args)
    return names


def nginx_has(body, directive):
    return any(name == directive for name, _args in _nginx_directives(body))


# --------------------------------------------------------------- apache
VHOST_OPEN = re.compile(r"^[ \t]*<VirtualHost\b[^>]*>[ \t]*\r?\n?", re.I | re.M)
VHOST_CLOSE = re.compile(r"^[ \t]*</VirtualHost>", re.I | re.M)


def apache_blocks(text):
    blocks = []
    pos = 0
    while True:
        m = VHOST_OPEN.search(text, pos)
        if not m:
            break
        if text[: m.start()].rfind("\n") >= 0:
            line_start = text.rfind("\n", 0, m.start()) + 1
            if text[line_start : m.start()].strip().startswith("#"):
                pos = m.end()
                continue
        c = VHOST_CLOSE.search(text, m.end())
        if not c:
            raise ConfigEditError("<VirtualHost> at offset %d is not closed" % m.start())
        blocks.append(Block(m.start(), m.end(), c.start(), m.group(0).strip()))
        pos = c.end()
    return blocks


def _apache_directives(body):
    out = []
    for line in body.splitlines():
        s = line.strip()
        if not s or s.startswith("#") or s.startswith("<"):
            continue
        words = s.split()
        out.append((words[0].lower(), words[1:]))
    return out


def apache_is_tls(body):
    return any(name == "sslengine" and args[:1] and args[0].lower() == "on" for name, args in _apache_directives(body))


def apache_server_names(body):
    names = []
    for name, args in _apache_directives(body):
        if name in ("servername", "serveralias"):
            names.extend(a.split(":")[0] for a in args)
    return names


def apache_has(body, directive):
    return any(name == directive.lower() for name, _a in _apache_directives(body))


DIALECTS = {
    "nginx": (nginx_blocks, nginx_is_tls, nginx_server_names, nginx_has),
    "apache": (apache_blocks, apache_is_tls, apache_server_names, apache_has),
}


# ---------------------------------------------------------------- edits
def tls_blocks(text, dialect, server_name=None):
    if dialect == "haproxy":
        blocks = [b for b in haproxy_blocks(text) if haproxy_is_tls(b.body(text))]
        return [b for b in blocks if not server_name or b.header.split()[1:2] == [server_name]]
    if dialect == "caddy":
        blocks = [b for b in caddy_blocks(text) if caddy_site_is_tls(b.header)]
        return [b for b in blocks if not server_name or server_name in caddy_server_names(b.header)]
    find, is_tls, names_of, _has = DIALECTS[dialect]
    blocks = [b for b in find(text) if is_tls(b.body(text))]
    if server_name:
        blocks = [b for b in blocks if server_name in names_of(b.body(text))]
    return blocks


WHAT = {
    "nginx": "server { } block with 'listen ... ssl'",
    "apache": "<VirtualHost> with 'SSLEngine on'",
    "haproxy": "frontend/listen section with a 'bind ... ssl' line",
    "caddy": "site block (an address that is not http:// or :80)",
}


def _indent_of_body(text, block):
    for line in block.body(text).splitlines():
        if line.strip():
            return line[: len(line) - len(line.lstrip())]
    return "    "


def ensure_lines(text, dialect, lines, server_name=None, path="the file", unless_directive=None, extra_line=None, bind_options=None):
    """Insert the marked ``lines`` at the end of every matching TLS block that lacks them.

    ``extra_line`` is inserted too when the block has no ``unless_directive`` of its own
    (nginx: keep the inherited access_log alive when the snippet adds one; Caddy: a site's
    own 'log' wins, so the AOP log is added only to sites without one).
    HAProxy: ``bind_options`` are the options every 'bind ... ssl' line of the section gets.
    Caddy: ``lines`` go inside the site's tls block.
    Returns the new text (unchanged when every block has the lines already).
    """
    blocks = tls_blocks(text, dialect, server_name)
    if not blocks:
        raise ConfigEditError(
            "%s has no TLS %s%s; name the file and %s of a TLS virtual host"
            % (
                path,
                WHAT[dialect],
                " with server name %r" % server_name if server_name else "",
                "the frontend name (server_name)" if dialect == "haproxy" else "server_name",
            )
        )
    # Work from the last block backwards so earlier offsets stay valid.
    for block in sorted(blocks, key=lambda b: b.start, reverse=True):
        if dialect == "caddy":
            site = [extra_line] if extra_line and unless_directive and not caddy_has(text, block, unless_directive) else []
            text = caddy_ensure(text, block, lines, site)
            continue
        if dialect == "haproxy":
            text = haproxy_set_bind_options(text, block, bind_options or "", path)
            start = block.start
            block = [b for b in tls_blocks(text, dialect) if b.start == start][0]  # noqa: PLW2901 - same section, new end
        body = block.body(text)
        present = _managed_lines(body)
        wanted = [ln for ln in lines if ln.strip() not in present]
        if extra_line and unless_directive and not DIALECTS[dialect][3](body, unless_directive) and extra_line.strip() not in present:
            wanted.insert(0, extra_line)
        if not wanted:
            continue
        indent = _indent_of_body(text, block)
        if dialect == "apache":
            insert = "".join("%s%s\n%s%s\n" % (indent, MARKER_ABOVE, indent, ln) for ln in wanted)
        else:
            insert = "".join("%s%s  %s\n" % (indent, ln, MARKER) for ln in wanted)
        close = block.end
        line_start = text.rfind("\n", 0, close) + 1
        if dialect == "haproxy":
            text = text[:close] + ("" if close == 0 or text[close - 1] == "\n" else "\n") + insert + text[close:]
        elif text[line_start:close].strip() == "":
            text = text[:line_start] + insert + text[line_start:]
        else:
            text = text[:close] + "\n" + insert + text[close:]
    return text


def _managed_lines(body):
    """The lines of a block that this collection inserted (without their markers)."""
    out = set()
    above = False
    for line in body.splitlines():
        s = line.strip()
        if above:
            out.add(s)
            above = False
        elif s == MARKER_ABOVE:
            above = True
        elif s.endswith(MARKER):
            out.add(s[: -len(MARKER)].strip())
    return out


def remove_marked(text):
    """Drop every line this collection inserted; give back the operator's HAProxy bind and Caddy tls lines."""
    text = caddy_restore_opened("".join(haproxy_strip_bind(ln) for ln in text.splitlines(True)))
    out = []
    skip_next = False
    for line in text.splitlines(True):
        if skip_next:
            skip_next = False
            continue
        if line.strip() == MARKER_ABOVE:
            skip_next = True
            continue
        if line.rstrip().endswith(MARKER):
            continue
        out.append(line)
    return "".join(out)


# -------------------------------------------------------------- haproxy
# HAProxy has no include inside a section. Client-certificate settings are options of the 'bind' line,
# so the managed 'bind ... ssl' lines get the stage's options appended and a trailing marker; the
# section gets marked lines of its own (logging). Removing the options gives back the operator's line.
HAPROXY_SECTIONS = (
    "global",
    "defaults",
    "frontend",
    "backend",
    "listen",
    "peers",
    "resolvers",
    "userlist",
    "program",
    "mailers",
    "cache",
    "ring",
    "http-errors",
)
HAPROXY_BIND_MARKER = "# originpulls.aop: bind options"
# Client-certificate options of a bind line, each with one argument: the role owns all of them.
HAPROXY_BIND_OWNED = ("ca-file", "ca-verify-file", "verify", "ca-ignore-err", "crt-ignore-err", "crl-file")


def _haproxy_words(line):
    return line.split("#", 1)[0].split()


def haproxy_blocks(text):
    """'frontend' and 'listen' sections: from the line after the header to the next section header."""
    blocks = []
    lines = text.splitlines(True)
    offsets = []
    pos = 0
    for ln in lines:
        offsets.append(pos)
        pos += len(ln)
    offsets.append(pos)
    current = None
    for i, ln in enumerate(lines):
        words = _haproxy_words(ln)
        if words and words[0] in HAPROXY_SECTIONS and not ln[:1].isspace():
            if current is not None:
                blocks.append(Block(current[0], current[1], _trim_end(text, current[1], offsets[i]), current[2]))
                current = None
            if words[0] in ("frontend", "listen"):
                current = (offsets[i], offsets[i + 1], " ".join(words))
    if current is not None:
        blocks.append(Block(current[0], current[1], _trim_end(text, current[1], len(text)), current[2]))
    return blocks


def _trim_end(text, start, end):
    """End of a section without its trailing blank and comment-only lines (they belong to the next one)."""
    body = text[start:end].splitlines(True)
    while body and (not body[-1].strip() or body[-1].lstrip().startswith("#")) and not body[-1].rstrip().endswith(MARKER):
        end -= len(body.pop())
    return end


def _haproxy_bind_lines(body):
    return [ln for ln in body.splitlines() if _haproxy_words(ln)[:1] == ["bind"] and "ssl" in _haproxy_words(ln)]


def haproxy_is_tls(body):
    return bool(_haproxy_bind_lines(body))


def haproxy_server_names(body):
    return []  # matched by section name, see tls_blocks


def haproxy_has(body, directive):
    return any(_haproxy_words(ln)[:1] == [directive] for ln in body.splitlines())


def haproxy_strip_bind(line):
    """The operator's bind line, without the options and marker this collection added."""
    if not line.rstrip().endswith(HAPROXY_BIND_MARKER):
        return line
    eol = line[len(line.rstrip("\r\n")) :]
    code = line.rstrip("\r\n")[: -len(HAPROXY_BIND_MARKER)].rstrip()
    indent = code[: len(code) - len(code.lstrip())]
    words = code.split()
    out = []
    skip = False
    for w in words:
        if skip:
            skip = False
            continue
        if w in HAPROXY_BIND_OWNED:
            skip = True
            continue
        out.append(w)
    return indent + " ".join(out) + eol


def haproxy_set_bind_options(text, block, options, path):
    """Give every 'bind ... ssl' line of the section exactly ``options`` (a string; empty: none)."""
    body = block.body(text)
    new_lines = []
    for ln in body.splitlines(True):
        words = _haproxy_words(ln)
        if words[:1] == ["bind"] and "ssl" in words:
            base = haproxy_strip_bind(ln)
            eol = base[len(base.rstrip("\r\n")) :]
            owned = [w for w in _haproxy_words(base) if w in HAPROXY_BIND_OWNED]
            if owned:
                raise ConfigEditError(
                    "%s: the bind line %r already sets %s; originpulls.aop manages the client-certificate options of a bind line. "
                    "Remove them from the line (the role writes them per stage) and run again" % (path, base.strip(), ", ".join(owned))
                )
            if options:
                # The operator's own trailing comment (if any) cannot stay: the marker must end the line.
                code = base.rstrip("\r\n").split("#", 1)[0].rstrip()
                new_lines.append("%s %s  %s%s" % (code, options, HAPROXY_BIND_MARKER, eol))
            else:
                new_lines.append(base)
            continue
        new_lines.append(ln)
    return text[: block.body_start] + "".join(new_lines) + text[block.end :]


# ---------------------------------------------------------------- caddy
# Caddyfile: site blocks at the top level. Client authentication is a subdirective of the site's 'tls'
# directive (a second 'tls' conflicts), so the managed import goes inside the site's 'tls { }' block:
# into an existing block, into a block opened on the operator's 'tls' line (marked, restored on
# removal), or into a new marked 'tls { }' block when the site has no 'tls' directive.
CADDY_OPENED = "{  # originpulls.aop: opened"


def _caddy_lines(text):
    """(offset, line, depth before the line) for every line, braces counted outside comments/quotes."""
    out = []
    depth = 0
    pos = 0
    for ln in text.splitlines(True):
        out.append((pos, ln, depth))
        code = _caddy_code(ln)
        depth += code.count("{") - code.count("}")
        pos += len(ln)
    return out


def _caddy_code(line):
    out = []
    quote = False
    prev = " "
    for c in line.rstrip("\r\n"):
        if c == '"':
            quote = not quote
        elif c == "#" and not quote and prev.isspace():
            break
        out.append(c)
        prev = c
    return "".join(out).strip()


def caddy_blocks(text):
    blocks = []
    start = None
    header = ""
    body_start = 0
    for off, ln, depth in _caddy_lines(text):
        code = _caddy_code(ln)
        if depth == 0 and code.endswith("{"):
            start, header, body_start = off, code[:-1].strip(), off + len(ln)
        elif depth == 1 and code.startswith("}") and start is not None:
            blocks.append(Block(start, body_start, off, header))
            start = None
    return blocks


def caddy_site_is_tls(header):
    if not header or header.startswith("("):
        return False  # global options block, snippet definition
    addrs = [a for a in header.replace(",", " ").split() if a]
    return any(not a.startswith("http://") and not a.endswith(":80") for a in addrs)


def caddy_server_names(header):
    names = []
    for address in header.replace(",", " ").split():
        a = address.split("://", 1)[-1].split("/", 1)[0]
        names.append(a.rsplit(":", 1)[0] if ":" in a and not a.endswith("]") else a)
    return names


def _caddy_directives(text, block):
    """Depth-1 directives of a site block: (name, offset of its line, line)."""
    out = []
    for off, ln, depth in _caddy_lines(text[block.body_start : block.end]):
        code = _caddy_code(ln)
        if depth == 0 and code:
            out.append((code.split()[0], block.body_start + off, ln))
    return out


def caddy_has(text, block, directive):
    return any(name == directive for name, _o, _l in _caddy_directives(text, block))


def caddy_ensure(text, block, tls_lines, site_lines):
    """Put ``tls_lines`` inside the site's tls block and ``site_lines`` at the end of the site block."""
    body = text[block.body_start : block.end]
    present = _managed_lines(body)
    indent = _indent_of_body(text, block)
    wanted_site = [ln for ln in site_lines if ln.strip() not in present]
    if wanted_site:
        insert = "".join("%s%s  %s\n" % (indent, ln, MARKER) for ln in wanted_site)
        text = text[: block.end] + insert + text[block.end :]
    wanted_tls = [ln for ln in tls_lines if ln.strip() not in present]
    if not wanted_tls:
        return text
    tls = [(o, ln) for name, o, ln in _caddy_directives(text, block) if name == "tls"]
    inner = indent * 2 if indent else "\t"
    if not tls:
        insert = "%stls {  %s\n%s%s}  %s\n" % (indent, MARKER, "".join("%s%s  %s\n" % (inner, ln, MARKER) for ln in wanted_tls), indent, MARKER)
        return text[: block.body_start] + insert + text[block.body_start :]
    off, line = tls[0]
    code = _caddy_code(line)
    lines_in = "".join("%s%s  %s\n" % (inner, ln, MARKER) for ln in wanted_tls)
    if code.endswith("{"):
        after = off + len(line)
        return text[:after] + lines_in + text[after:]
    # 'tls <cert> <key>' without a block: open one on the operator's line (restored on removal).
    eol = line[len(line.rstrip("\r\n")) :] or "\n"
    head = line.rstrip("\r\n")
    if "#" in head and _caddy_code(head) != head.strip():
        raise ConfigEditError("the site's tls line %r has a trailing comment; move the comment to its own line and run again" % head.strip())
    new = "%s %s%s%s%s}  %s%s" % (head.rstrip(), CADDY_OPENED, eol, lines_in, indent, MARKER, eol)
    return text[:off] + new + text[off + len(line) :]


def caddy_restore_opened(text):
    out = []
    for line in text.splitlines(True):
        stripped = line.rstrip("\r\n")
        if stripped.endswith(CADDY_OPENED):
            out.append(stripped[: -len(CADDY_OPENED)].rstrip() + line[len(stripped) :])
        else:
            out.append(line)
    return "".join(out)


DIALECTS["haproxy"] = (haproxy_blocks, haproxy_is_tls, haproxy_server_names, haproxy_has)


# -------------------------------------------------------------- traefik
# Traefik has no configuration-test command; its file provider applies changed files by itself. The
# role writes its dynamic file as comment lines + JSON (valid YAML), which this test can read without
# a YAML library on the origin.
def _without_comment_lines(text):
    return "\n".join(ln for ln in text.splitlines() if not ln.lstrip().startswith("#"))


TRAEFIK_CLIENT_AUTH = ("NoClientCert", "RequestClientCert", "RequireAnyClientCert", "VerifyClientCertIfGiven", "RequireAndVerifyClientCert")


def traefik_dynamic_test(paths):
    """(rc, message) for the Traefik dynamic-configuration files among ``paths``."""
    problems = []
    checked = 0
    for path in paths:
        if not path.endswith((".yml", ".yaml")):
            continue
        checked += 1
        try:
            with open(path) as fh:
                doc = json.loads(_without_comment_lines(fh.read()))
        except (OSError, ValueError) as exc:
            problems.append("%s: not readable as JSON/YAML (%s)" % (path, exc))
            continue
        options = ((doc.get("tls") or {}).get("options") or {}) if isinstance(doc, dict) else {}
        for name, opt in options.items():
            auth = (opt or {}).get("clientAuth") or {}
            kind = auth.get("clientAuthType", "NoClientCert")
            if kind not in TRAEFIK_CLIENT_AUTH:
                problems.append("%s: tls.options.%s.clientAuth.clientAuthType %r is not one of %s" % (path, name, kind, ", ".join(TRAEFIK_CLIENT_AUTH)))
            for ca in auth.get("caFiles") or []:
                try:
                    with open(ca) as fh:
                        pem = fh.read()
                except OSError as exc:
                    problems.append("%s: tls.options.%s.clientAuth.caFiles: %s cannot be read (%s)" % (path, name, ca, exc))
                    continue
                if "-----BEGIN CERTIFICATE-----" not in pem:
                    problems.append("%s: tls.options.%s.clientAuth.caFiles: %s holds no PEM certificate" % (path, name, ca))
            if kind in ("VerifyClientCertIfGiven", "RequireAndVerifyClientCert") and not auth.get("caFiles"):
                problems.append("%s: tls.options.%s verifies client certificates but names no caFiles" % (path, name))
    if problems:
        return 1, "; ".join(problems)
    return 0, "%d Traefik dynamic configuration file(s) checked" % checked


def processes(name):
    """Pids of the processes named ``name`` (/proc/<pid>/comm), for servers without a pid file."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/comm" % entry) as fh:
                if fh.read().strip() == name:
                    out.append(int(entry))
        except OSError:
            continue
    return out
