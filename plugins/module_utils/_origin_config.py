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
    find, is_tls, names_of, _has = DIALECTS[dialect]
    blocks = [b for b in find(text) if is_tls(b.body(text))]
    if server_name:
        blocks = [b for b in blocks if server_name in names_of(b.body(text))]
    return blocks


def _indent_of_body(text, block):
    for line in block.body(text).splitlines():
        if line.strip():
            return line[: len(line) - len(line.lstrip())]
    return "    "


def ensure_lines(text, dialect, lines, server_name=None, path="the file", unless_directive=None, extra_line=None):
    """Insert the marked ``lines`` at the end of every matching TLS block that lacks them.

    ``extra_line`` is inserted too when the block has no ``unless_directive`` of its own
    (nginx: keep the inherited access_log alive when the snippet adds one).
    Returns the new text (unchanged when every block has the lines already).
    """
    blocks = tls_blocks(text, dialect, server_name)
    if not blocks:
        what = "server { } block with 'listen ... ssl'" if dialect == "nginx" else "<VirtualHost> with 'SSLEngine on'"
        raise ConfigEditError(
            "%s has no TLS %s%s; name the file and server_name of a TLS virtual host" % (path, what, " and server name %r" % server_name if server_name else "")
        )
    has = DIALECTS[dialect][3]
    # Work from the last block backwards so earlier offsets stay valid.
    for block in sorted(blocks, key=lambda b: b.start, reverse=True):
        body = block.body(text)
        present = _managed_lines(body)
        wanted = [ln for ln in lines if ln.strip() not in present]
        if extra_line and unless_directive and not has(body, unless_directive) and extra_line.strip() not in present:
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
        if text[line_start:close].strip() == "":
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
    """Drop every line this collection inserted."""
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
