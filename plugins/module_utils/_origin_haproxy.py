# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""HAProxy: a TLS virtual host is a ``frontend``/``listen`` section with a ``bind ... ssl`` line.

PRIVATE to the collection. Imports nothing from Ansible.

HAProxy has no include inside a section. Client-certificate settings are options of the 'bind' line,
so the managed 'bind ... ssl' lines get the stage's options appended and a trailing marker; the
section gets marked lines of its own (logging). Removing the options gives back the operator's line.
Sections are selected by name (``frontend <name>``), not by a TLS server name.
"""

from __future__ import annotations

import re

from ansible_collections.originpulls.aop.plugins.module_utils._origin_dialect import MARKER, Block, BodyDialect, ConfigEditError

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
HAPROXY_OWNED_RE = re.compile(r"\s(?:%s)(?=\s|$)" % "|".join(re.escape(w) for w in HAPROXY_BIND_OWNED))


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


def haproxy_has(body, directive):
    return any(_haproxy_words(ln)[:1] == [directive] for ln in body.splitlines())


def haproxy_strip_bind(line):
    """The operator's bind line, byte for byte, without the options and marker this collection added.

    A managed line is the operator's code, then `` <options>``, then the operator's own spacing and comment (if
    any), then ``  # originpulls.aop: bind options``. The operator's line holds none of the owned options (refused)."""
    if not line.rstrip().endswith(HAPROXY_BIND_MARKER):
        return line
    eol = line[len(line.rstrip("\r\n")) :]
    rest = line.rstrip("\r\n")
    rest = rest[: rest.rindex(HAPROXY_BIND_MARKER)]
    rest = rest[:-2] if rest.endswith("  ") else rest.rstrip()
    cut = rest.find("#")
    code, comment = (rest, "") if cut < 0 else (rest[:cut], rest[cut:])
    first = HAPROXY_OWNED_RE.search(code)
    if not first:
        return code + comment + eol
    return code[: first.start()] + code[len(code.rstrip()) :] + comment + eol


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
                # The options go after the operator's code, before their own spacing and comment; the marker ends the line.
                line = base.rstrip("\r\n")
                cut = line.find("#")
                code, comment = (line, "") if cut < 0 else (line[:cut], line[cut:])
                gap = code[len(code.rstrip()) :]
                new_lines.append("%s %s%s%s  %s%s" % (code.rstrip(), options, gap, comment, HAPROXY_BIND_MARKER, eol))
            else:
                new_lines.append(base)
            continue
        new_lines.append(ln)
    return text[: block.body_start] + "".join(new_lines) + text[block.end :]


class Haproxy(BodyDialect):
    selector = "the frontend name (server_name)"

    def names(self, text, block):
        return block.header.split()[1:2]  # the section name

    def ensure(self, text, block, lines, extra_line=None, unless_directive=None, bind_options=None, path="the file"):
        text = haproxy_set_bind_options(text, block, bind_options or "", path)
        block = [b for b in self.tls_blocks(text) if b.start == block.start][0]  # same section, new end
        return super().ensure(text, block, lines, extra_line, unless_directive, bind_options, path)

    def insert_at_end(self, text, block, insert):
        close = block.end
        return text[:close] + ("" if close == 0 or text[close - 1] == "\n" else "\n") + insert + text[close:]

    def restore(self, text):
        return "".join(haproxy_strip_bind(ln) for ln in text.splitlines(True))


HAPROXY = Haproxy("haproxy", "frontend/listen section with a 'bind ... ssl' line", haproxy_blocks, haproxy_is_tls, None, haproxy_has)
