# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""nginx: a TLS virtual host is a ``server { }`` block with ``listen ... ssl`` (or ``quic``, or ``ssl on``).

PRIVATE to the collection. Imports nothing from Ansible.
"""

from __future__ import annotations

import glob
import os

from ansible_collections.originpulls.aop.plugins.module_utils._origin_dialect import Block, BodyDialect, ConfigEditError, strip_comments


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
            header = strip_comments(text[start:open_off]).strip()
            if header.split()[:1] == [name]:
                blocks.append(Block(start + len(text[start:open_off]) - len(text[start:open_off].lstrip()), open_off + 1, off, header))
            stmt_start = off + 1
        else:
            stmt_start = off + 1
    if stack:
        raise ConfigEditError("unbalanced '{' (a block is not closed)")
    return blocks


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
                words = strip_comments(body[start:off]).split()
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


def nginx_context_directives(path, context, directive, stack=(), depth=0, base=None):
    """The ``directive`` statements (one line each, comments dropped) in ``context`` (e.g. ``("http",)``) of the
    configuration ``path``, following its ``include``s (globs, relative to the main file's directory) in nginx's order."""
    base = base or os.path.dirname(path)
    try:
        with open(path, "rb") as fh:
            text = fh.read().decode("utf-8", "replace")
    except OSError as exc:
        raise ConfigEditError("cannot read the nginx configuration %s to find the %s lines a virtual host inherits: %s" % (path, directive, exc))
    stack = list(stack)
    out = []
    start = 0
    for off, c in _nginx_tokens(text):
        words = strip_comments(text[start:off]).split()
        start = off + 1
        if c == "{":
            stack.append(words[0] if words else "")
        elif c == "}":
            if stack:
                stack.pop()
        elif words[:1] == ["include"] and len(words) > 1 and depth < 16:
            pattern = words[1].strip("\"'")
            for inc in sorted(glob.glob(pattern if os.path.isabs(pattern) else os.path.join(base, pattern))):
                out.extend(nginx_context_directives(inc, context, directive, tuple(stack), depth + 1, base))
        elif tuple(stack) == tuple(context) and words[:1] == [directive]:
            out.append(" ".join(words) + ";")
    return out


class Nginx(BodyDialect):
    def inherited(self, main_config, directive):
        """The http-level ``directive`` lines of ``main_config`` (and its includes) that a server block inherits while it
        declares none of its own; None when the http block declares none (the server's built-in default applies).
        An ``access_log off;`` among them means nothing is inherited: an empty list."""
        lines = nginx_context_directives(main_config, ("http",), directive)
        if not lines:
            return None
        if directive == "access_log" and "access_log off;" in lines:
            return []
        return lines


NGINX = Nginx("nginx", "server { } block with 'listen ... ssl'", nginx_blocks, nginx_is_tls, nginx_server_names, nginx_has)
