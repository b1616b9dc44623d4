# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The origin role's decisions, for the action plugin webserver_stage. PRIVATE to the collection.

Pure functions (no Ansible objects): the options from the role's variables, the refusals, what the server's data
and templates are rendered with, Traefik's handshakes; and the CA check, once per run (a file cache with a lock in
the run's local temporary directory, which every worker of the run shares and which goes with the run).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.originpulls.aop.plugins.module_utils._aop_ca import ORIGIN_PULL_CA_KW, ORIGIN_PULL_CA_SPEC, checked_ca

# What the origin role always handed to the server roles by its own names (origin_* wins when called as origin).
SHARED = ("stage", "server", "vhosts", "tls_port", "ca_source", "ca_content", "ca_path", "ca_pin_sha256", "ca_expiry_warning_days")


class Refusal(Exception):
    """Bad input, found before any change."""


def options(spec, srv, server, alias, var):
    """The role's options by their short names: origin_<x>, or <server>_origin_<alias of x> where that stands for it.

    ``var(name, default)`` reads a variable. Called as a server role (``alias``), every <server>_origin_* variable stands
    for its origin_* one; called as origin, only the server-only options do.
    """
    out = {}
    for key in spec:
        short = key[len("origin_") :]
        name = (srv.get("aliases") or {}).get(short, short)
        value = var(key, None)
        if name and (alias or short not in SHARED):
            value = var("%s_origin_%s" % (server, name), value)
        out[short] = value
    out["server"] = server
    return out


def refuse_unknown(names, server, known):
    """A misspelt origin_* or <server>_origin_* variable would be ignored silently: refuse it.

    ``known``: role -> its option names (``origin`` and ``<server>_origin``).
    """
    unknown = sorted(n for n in names if n.startswith("origin_") and n not in known["origin"] + ["origin_result", "origin_server_detected"])
    own = known[server + "_origin"] + [server + "_origin_result"]
    unknown += sorted(n for n in names if n.startswith(server + "_origin_") and n not in own)
    if unknown:
        role = server + "_origin" if any(n.startswith(server) for n in unknown) else "origin"
        listed = own if role != "origin" else known["origin"] + ["origin_result"]
        raise Refusal(
            "unknown option(s) %s for originpulls.aop.%s. Nothing was changed. The options are: %s" % (", ".join(unknown), role, ", ".join(sorted(listed)))
        )


def refuse(o, s, vhosts, prefix):
    """What must be refused before any change: a stage the server cannot express, no vhost, clientAuth by hand, and
    (Traefik) stage absent taking away TLS options that routers name as '<name>@file'."""
    if o["stage"] == "observe" and s.get("no_observe"):
        raise Refusal(
            "%s, so stage 'observe' cannot be expressed and is not approximated. Use 'optional' (Cloudflare's certificate always"
            " verifies; only third parties presenting a bad certificate are refused). Nothing was changed." % s["no_observe"].strip()
        )
    if not vhosts:
        raise Refusal("%s_vhosts is empty: %s. Nothing was changed." % (prefix, s["vhosts_hint"].strip()))
    if "clientAuth" in (o.get("tls_options_extra") or {}):
        raise Refusal("%s_tls_options_extra must not set clientAuth: the stage decides it. Nothing was changed." % prefix)
    if o["stage"] == "absent" and o["server"] == "traefik" and o["tls_options_name"] != "default":
        name = o["tls_options_name"]
        raise Refusal(
            "stage absent would delete the TLS options '%s' that your routers name as '%s@file', and Traefik refuses a router whose"
            " TLS options do not exist. Nothing was changed. Take '%s@file' out of your routers first (they then use the default TLS"
            " options), then run stage absent with %s_tls_options_name set to 'default': the role removes its own file whatever the"
            " name." % (name, name, name, prefix)
        )


def context(o, srv, family, ca):
    """What the server's data (vars/servers/<server>.yml) and templates are rendered with."""
    s = dict(srv, **((srv.get("os") or {}).get(family or "Debian") or {}))
    folder = o["dir"] or s["dir"]
    named = s.get("ca_named_by_content") and ca
    return {
        "__origin": o,
        "__origin_srv": srv,
        "__origin_s": s,
        "__origin_dir": folder,
        "__origin_log": o["log_path"] or s.get("log_path", ""),
        "__origin_vhosts": o["vhosts"] or s.get("default_vhosts") or [],
        "__origin_ca": ca,
        # Traefik names the CA file by its content: it rebuilds TLS options only when a name changes.
        "__origin_ca_file": folder + ("/ca-%s.pem" % hashlib.sha256(ca["pem"].encode("utf-8")).hexdigest()[:16] if named else "/ca.pem"),
    }


def live_checks(o, vhosts, ca):
    """Traefik applies changes by itself: one handshake per host name proves each change."""
    out = []
    for vhost in vhosts:
        check = {"server_name": vhost["server_name"], "port": int(vhost.get("port", o["tls_port"])), "expect": "off" if o["stage"] == "absent" else o["stage"]}
        if o["stage"] not in ("off", "absent"):
            check["ca_names_contains"] = "CN = " + re.search(r"CN=([^,]+)", ca["certificates"][0]["subject"]).group(1)
        out.append(check)
    return out


def once_per_run(folder, key, compute):
    """(compute(), True) the first time ``key`` is asked for in ``folder``, (that value, False) after, across processes."""
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, hashlib.sha256(key.encode("utf-8")).hexdigest())
    with open(path + ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.exists(path):
            with open(path) as fh:
                return json.load(fh), False
        value = compute()
        with open(path + ".tmp", "w") as fh:
            json.dump(value, fh)
        os.rename(path + ".tmp", path)
        return value, True


def ca_options(o):
    """The role's CA options as origin_pull_ca takes them, validated as the module validates them (a pin given as one
    string is a list of one; content and path together are refused): (params, None) or (None, message)."""
    args = {"source": o["ca_source"], "pin_sha256": o["ca_pin_sha256"] or [], "expiry_warning_days": o["ca_expiry_warning_days"]}
    for option, key in (("content", "ca_content"), ("path", "ca_path")):
        if o[key]:
            args[option] = o[key]
    validated = ArgumentSpecValidator(ORIGIN_PULL_CA_SPEC, **ORIGIN_PULL_CA_KW).validate(args)
    if validated.error_messages:
        return None, "the CA options (origin_ca_*): %s. Nothing was changed." % validated.error_messages[0]
    return validated.validated_parameters, None


def ca_check(o, folder):
    """origin_pull_ca's check, once per run for the same options and CA text: {ca, warnings} or {failed, msg}.

    The warnings (a CA close to expiry) come with the first host's result only, as from a run_once task.
    """
    p, problem = ca_options(o)
    if problem:
        return {"failed": True, "msg": problem, "warnings": []}
    text, path = p["content"], p["path"]
    key_text = text
    if path:  # the file's content is part of the key: a file changed during the run is checked again
        try:
            with open(path, "rb") as fh:
                key_text = fh.read().decode("utf-8", "replace")
        except OSError:
            key_text = None
    pins, days = p["pin_sha256"], p["expiry_warning_days"]

    def compute():
        try:
            result, warnings = checked_ca(p["source"], text, path, pins, days)
        except ValueError as exc:
            return {"failed": True, "msg": str(exc)}
        return {"ca": result, "warnings": warnings}

    value, fresh = once_per_run(folder, json.dumps([p["source"], path, key_text, pins, days]), compute)
    return dict(value, warnings=value.get("warnings", []) if fresh else [])
