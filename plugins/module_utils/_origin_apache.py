# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Apache httpd: a TLS virtual host is a ``<VirtualHost>`` with ``SSLEngine on``.

PRIVATE to the collection. Imports nothing from Ansible. Apache has no trailing comments, so each managed
line gets its marker as a comment line of its own, just above.
"""

from __future__ import annotations

import re

from ansible_collections.originpulls.aop.plugins.module_utils._origin_dialect import MARKER_ABOVE, Block, BodyDialect, ConfigEditError

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


class Apache(BodyDialect):
    """Apache has no trailing comments: each managed line gets the marker as a comment line above it."""

    def format(self, indent, lines):
        return "".join("%s%s\n%s%s\n" % (indent, MARKER_ABOVE, indent, ln) for ln in lines)


APACHE = Apache("apache", "<VirtualHost> with 'SSLEngine on'", apache_blocks, apache_is_tls, apache_server_names, apache_has)
