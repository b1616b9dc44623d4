# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Editing the operator's own web-server configuration, minimally.

PRIVATE to the collection. Imports nothing from Ansible.

The origin roles never own a vhost: they write their directives into a snippet file (or, for HAProxy,
options of the bind line) and make sure the chosen TLS virtual host uses it, by inserting marked lines
into the operator's file. Each server's syntax is a dialect (see ``_origin_dialect``): nginx, Apache,
HAProxy and Caddy, one file each. This file is the entry point: pick the dialect, find the TLS virtual
hosts (optionally by name), insert the lines, or remove every marked line again.
"""

from __future__ import annotations

import re

from ansible_collections.originpulls.aop.plugins.module_utils._origin_apache import APACHE
from ansible_collections.originpulls.aop.plugins.module_utils._origin_caddy import CADDY
from ansible_collections.originpulls.aop.plugins.module_utils._origin_dialect import MARKER_ABOVE, ConfigEditError, unmark
from ansible_collections.originpulls.aop.plugins.module_utils._origin_haproxy import HAPROXY
from ansible_collections.originpulls.aop.plugins.module_utils._origin_nginx import NGINX

MARKED_TAIL = re.compile(r"\s*# originpulls\.aop.*$")
DIALECTS = {d.name: d for d in (NGINX, APACHE, HAPROXY, CADDY)}

__all__ = ["DIALECTS", "ConfigEditError", "ensure_lines", "managed_in", "remove_marked", "tls_blocks"]


def tls_blocks(text, dialect, server_name=None):
    return DIALECTS[dialect].tls_blocks(text, server_name)


def ensure_lines(text, dialect, lines, server_name=None, path="the file", unless_directive=None, extra_line=None, bind_options=None):
    """Insert the marked ``lines`` at the end of every matching TLS block that lacks them.

    ``extra_line`` (a line or a list of lines) is inserted too when the block has no ``unless_directive`` of its own
    (nginx: keep the inherited access_log alive when the snippet adds one; Caddy: a site's
    own 'log' wins, so the AOP log is added only to sites without one).
    HAProxy: ``bind_options`` are the options every 'bind ... ssl' line of the section gets.
    Caddy: ``lines`` go inside the site's tls block.
    Returns the new text (unchanged when every block has the lines already).
    """
    d = DIALECTS[dialect]
    blocks = d.tls_blocks(text, server_name)
    if not blocks:
        raise ConfigEditError(
            "%s has no TLS %s%s; name the file and %s of a TLS virtual host"
            % (path, d.what, " with server name %r" % server_name if server_name else "", d.selector)
        )
    # Work from the last block backwards so earlier offsets stay valid.
    for block in sorted(blocks, key=lambda b: b.start, reverse=True):
        text = d.ensure(text, block, lines, extra_line, unless_directive, bind_options, path)
    return text


def remove_marked(text):
    """Drop every line this collection inserted; give back the operator's lines edited in place (HAProxy bind, Caddy tls)."""
    for d in DIALECTS.values():
        text = d.restore(text)
    return unmark(text)


def managed_in(text):
    """The lines this collection manages in ``text``, in file order, without their markers (for the record on the origin)."""
    original = remove_marked(text).splitlines()
    return [MARKED_TAIL.sub("", line).strip() for line in text.splitlines() if line not in original and line.strip() != MARKER_ABOVE]
