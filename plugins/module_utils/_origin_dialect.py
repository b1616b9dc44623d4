# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one interface every web-server configuration dialect implements, and what they share.

PRIVATE to the collection. Imports nothing from Ansible.

A dialect finds the blocks of a file (``blocks``), tells which are TLS virtual hosts (``is_tls``) and by
which names they answer (``names``), whether a block has a directive of its own (``has``), and inserts
the collection's marked lines into one block (``ensure``). ``restore`` gives back an operator's line that
the dialect edits in place (HAProxy bind options, a Caddy ``tls`` line opened into a block). Each server's
syntax lives in its own file: ``_origin_nginx``, ``_origin_apache``, ``_origin_haproxy``, ``_origin_caddy``.
"""

from __future__ import annotations

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


def strip_comments(s):
    return "\n".join(line.split("#", 1)[0] for line in s.splitlines())


def indent_of_body(text, block):
    for line in block.body(text).splitlines():
        if line.strip():
            return line[: len(line) - len(line.lstrip())]
    return "    "


def managed_lines(body):
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


def unmark(text, only=None):
    """``text`` without the collection's marked lines (only those in ``only``, a collection of stripped lines, when given)."""
    out = []
    lines = text.splitlines(True)
    i = 0
    while i < len(lines):
        s = lines[i].strip()
        if s == MARKER_ABOVE and i + 1 < len(lines):
            if only is None or lines[i + 1].strip() in only:
                i += 2
                continue
        elif s.endswith(MARKER) and (only is None or s[: -len(MARKER)].strip() in only):
            i += 1
            continue
        out.append(lines[i])
        i += 1
    return "".join(out)


def marked(indent, lines):
    """``lines`` indented, each with the trailing marker."""
    return "".join("%s%s  %s\n" % (indent, ln, MARKER) for ln in lines)


class Dialect:
    """A configuration syntax. Subclasses set ``name``/``what`` and implement ``blocks``, ``is_tls``, ``names``, ``has``."""

    name = ""
    what = ""  # what a TLS virtual host looks like, for the error when none matches
    selector = "server_name"  # what O(includes[].server_name) names, for that error

    def blocks(self, text):
        raise NotImplementedError

    def is_tls(self, text, block):
        raise NotImplementedError

    def names(self, text, block):
        raise NotImplementedError

    def has(self, text, block, directive):
        raise NotImplementedError

    def tls_blocks(self, text, server_name=None):
        blocks = [b for b in self.blocks(text) if self.is_tls(text, b)]
        if server_name:
            blocks = [b for b in blocks if server_name in self.names(text, b)]
        return blocks

    def ensure(self, text, block, lines, extra_line=None, unless_directive=None, bind_options=None, path="the file"):
        """``text`` with the marked ``lines`` at the end of ``block``, and ``extra_line`` (a line or a list) when the block has
        no ``unless_directive`` of its own (the collection's marked lines do not count). Marked ``unless_directive`` lines
        that are no longer wanted (the inherited lines changed) come off, so the block always carries exactly the wanted ones."""
        body = block.body(text)
        present = managed_lines(body)
        extra = [extra_line] if isinstance(extra_line, str) else list(extra_line or [])
        if not (extra and unless_directive) or self.has_own(text, block, unless_directive):
            extra = []
        keep = set(ln.strip() for ln in extra + list(lines))
        stale = [ln for ln in present if unless_directive and ln.split()[:1] == [unless_directive] and ln not in keep]
        if stale:
            text = text[: block.body_start] + unmark(body, stale) + text[block.end :]
            block = [b for b in self.blocks(text) if b.start == block.start][0]
            present = managed_lines(block.body(text))
        wanted = [ln for ln in extra + list(lines) if ln.strip() not in present]
        if not wanted:
            return text
        return self.insert_at_end(text, block, self.format(indent_of_body(text, block), wanted))

    def has_own(self, text, block, directive):
        """Whether the block has ``directive`` of the operator's own (not one of the collection's marked lines)."""
        clean = unmark(self.restore(block.body(text)))
        own = Block(block.start, block.body_start, block.body_start + len(clean), block.header)
        return self.has(text[: block.body_start] + clean + text[block.end :], own, directive)

    def inherited(self, main_config, directive):
        """The ``directive`` lines a virtual host inherits from the server's main configuration (nginx only)."""
        raise ConfigEditError("%s: inheriting %s from the main configuration is not supported for this server" % (self.name, directive))

    def format(self, indent, lines):
        return marked(indent, lines)

    def insert_at_end(self, text, block, insert):
        close = block.end
        line_start = text.rfind("\n", 0, close) + 1
        if text[line_start:close].strip() == "":
            return text[:line_start] + insert + text[line_start:]
        return text[:close] + "\n" + insert + text[close:]

    def restore(self, text):
        """``text`` with the operator's lines that this dialect edits in place given back."""
        return text


class BodyDialect(Dialect):
    """A dialect that answers from a block's body: ``find(text)``, ``tls(body)``, ``server_names(body)``, ``has(body, directive)``."""

    def __init__(self, name, what, find, tls, server_names, has):
        self.name, self.what = name, what
        self._find, self._tls, self._names, self._has = find, tls, server_names, has

    def blocks(self, text):
        return self._find(text)

    def is_tls(self, text, block):
        return self._tls(block.body(text))

    def names(self, text, block):
        return self._names(block.body(text))

    def has(self, text, block, directive):
        return self._has(block.body(text), directive)
