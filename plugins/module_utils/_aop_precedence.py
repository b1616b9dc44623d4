# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which Authenticated Origin Pulls level applies to a hostname, by Cloudflare's precedence.

PRIVATE to the collection: may change without notice. Pure functions, no I/O, no Ansible.

Cloudflare presents, for a request to a proxied hostname:

1. the hostname's own certificate when the hostname is bound to one and the binding is enabled
   (``per_hostname``);
2. otherwise the zone's own certificate when zone-level AOP is enabled (``zone_level``);
3. otherwise its shared certificate when the zone setting ``tls_client_auth`` is on (``global``);
4. otherwise nothing (``none``).

A hostname bound with ``enabled: false`` is the exception: Cloudflare's schema for
``PUT /zones/{zone_id}/origin_tls_client_auth/hostnames`` says "If disabled, client certificate
will not be sent to the hostname even if activated at the zone level", so it gets ``none`` whatever
the zone-level and global settings are (the emulator's edge stand-in applies the same rule).
"""

from __future__ import annotations

PER_HOSTNAME = "per_hostname"
ZONE_LEVEL = "zone_level"
GLOBAL = "global"
NONE = "none"
LEVELS = (PER_HOSTNAME, ZONE_LEVEL, GLOBAL, NONE)


def effective_level(hostname, global_on, zone_level_enabled, bindings):
    """Return ``"per_hostname"``, ``"zone_level"``, ``"global"`` or ``"none"`` for ``hostname``.

    ``global_on``: the zone setting ``tls_client_auth`` is ``on``.
    ``zone_level_enabled``: zone-level AOP is enabled (callers that know the zone's certificates pass
    True only when one of them is ``active``: without one there is nothing to present).
    ``bindings``: hostname -> the binding as ``GET .../origin_tls_client_auth/hostnames/{hostname}``
    returns it (at least ``enabled``). Hostnames absent from it, or whose ``enabled`` is None (an
    invalidated association), are not bound. A binding with a ``status`` other than ``active`` (its
    certificate not deployed yet) is not presented, so the zone-level or global certificate applies.
    Hostnames compare case-insensitively, without a trailing dot.
    """
    binding = _lookup(bindings or {}, hostname)
    if binding is not None:
        enabled = binding.get("enabled")
        if enabled is False:
            return NONE
        if enabled is True and binding.get("status", "active") == "active":
            return PER_HOSTNAME
    if zone_level_enabled:
        return ZONE_LEVEL
    if global_on:
        return GLOBAL
    return NONE


def _normalize(hostname):
    return str(hostname).strip().rstrip(".").lower()


def _lookup(bindings, hostname):
    if hostname in bindings:
        return bindings[hostname]
    wanted = _normalize(hostname)
    for name, binding in bindings.items():
        if _normalize(name) == wanted:
            return binding
    return None
