# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Caddy (Caddyfile): a TLS virtual host is a site block whose address is not http:// or :80.

PRIVATE to the collection. Imports nothing from Ansible.

Client authentication is a subdirective of the site's 'tls' directive (a second 'tls' conflicts), so the
managed import goes inside the site's 'tls { }' block: into an existing block, into a block opened on the
operator's 'tls' line (marked, restored on removal), or into a new marked 'tls { }' block when the site has
no 'tls' directive. Other managed lines (the AOP log) go at the end of the site block.
"""

from __future__ import annotations

from ansible_collections.originpulls.aop.plugins.module_utils._origin_dialect import (
    MARKER,
    Block,
    ConfigEditError,
    Dialect,
    indent_of_body,
    managed_lines,
    marked,
)

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
    present = managed_lines(body)
    indent = indent_of_body(text, block)
    wanted_site = [ln for ln in site_lines if ln.strip() not in present]
    if wanted_site:
        text = text[: block.end] + marked(indent, wanted_site) + text[block.end :]
    wanted_tls = [ln for ln in tls_lines if ln.strip() not in present]
    if not wanted_tls:
        return text
    tls = [(o, ln) for name, o, ln in _caddy_directives(text, block) if name == "tls"]
    inner = indent * 2 if indent else "\t"
    lines_in = marked(inner, wanted_tls)
    if not tls:
        insert = "%stls {  %s\n%s%s}  %s\n" % (indent, MARKER, lines_in, indent, MARKER)
        return text[: block.body_start] + insert + text[block.body_start :]
    off, line = tls[0]
    code = _caddy_code(line)
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


class Caddy(Dialect):
    name = "caddy"
    what = "site block (an address that is not http:// or :80)"

    def blocks(self, text):
        return caddy_blocks(text)

    def is_tls(self, text, block):
        return caddy_site_is_tls(block.header)

    def names(self, text, block):
        return caddy_server_names(block.header)

    def has(self, text, block, directive):
        return caddy_has(text, block, directive)

    def ensure(self, text, block, lines, extra_line=None, unless_directive=None, bind_options=None, path="the file"):
        # A site's own 'log' wins in Caddy, so the extra line (the AOP log) goes only to sites without one.
        extra = [extra_line] if isinstance(extra_line, str) else list(extra_line or [])
        site = extra if unless_directive and not self.has_own(text, block, unless_directive) else []
        return caddy_ensure(text, block, lines, site)

    def restore(self, text):
        return caddy_restore_opened(text)


CADDY = Caddy()
