# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Is the server running, and is a change live: processes, workers, a TLS handshake, the server's own log.

PRIVATE to the collection. Imports nothing from Ansible; the functions that run commands take the
module (``run_command``, ``get_bin_path``).
"""

from __future__ import annotations

import os
import re
import time


def systemd_manages(module):
    """Whether systemd is the service manager, decided as ansible's service_mgr fact does (Linux), without gathering
    facts or importing the facts package: PID 1's name, else (PID 1 'init' or a shell, as in a container) systemctl and
    systemd's own canaries (sd_booted), else /sbin/init linking to systemd."""
    try:
        with open("/proc/1/comm") as fh:
            pid1 = fh.read().strip() or None
    except OSError:
        pid1 = os.readlink("/sbin/init") if os.path.islink("/sbin/init") else None
    if pid1 is not None:
        pid1 = os.path.basename(pid1).strip()
        if pid1 == "init" or pid1.endswith("sh"):
            pid1 = None
    if pid1 is not None:
        return pid1 == "systemd"
    if not module.get_bin_path("systemctl"):
        return False
    if any(os.path.exists(c) for c in ("/run/systemd/system/", "/dev/.run/systemd/", "/dev/.systemd/")):
        return True
    if (module.get_bin_path("initctl") and os.path.exists("/etc/init/")) or os.path.exists("/sbin/openrc"):
        return False
    return os.path.islink("/sbin/init") and os.path.basename(os.readlink("/sbin/init")) == "systemd"


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


def children(pid):
    """Pids whose parent is ``pid``."""
    out = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                out.add(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    return out


def master_pid(pid_file):
    """The pid in ``pid_file`` when that process is alive, else None."""
    try:
        with open(pid_file) as fh:
            pid = int(fh.read().split()[0])
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError, IndexError):
        return None


def wait_new_worker(pid_file, before_workers, timeout):
    """(True, master) once the master in ``pid_file`` has a worker not in ``before_workers``; (False, master) at the deadline."""
    deadline = time.time() + timeout
    while True:
        master = master_pid(pid_file)
        if master and (children(master) - before_workers):
            return True, master
        if time.time() > deadline:
            return False, master
        time.sleep(0.1)


def _dn_spacing(text):
    """A DN in one spacing: OpenSSL 3.0 prints 'C = US, CN = x', OpenSSL 3.2 and later (Debian 13) 'C=US, CN=x'."""
    return re.sub(r"\s*=\s*", "=", " ".join(text.split()))


def classify_handshake(text, ca_names_contains=""):
    """What ``openssl s_client`` output (no client certificate) shows: off, optional, require, or None for neither.

    ``ca_names_contains`` must appear in the acceptable CA names; compared in either DN spacing, so 'CN = x' and
    'CN=x' match whichever OpenSSL printed the names.
    """
    if "No client certificate CA names sent" in text and "Client Certificate Types" not in text and "alert" not in text and "Cipher is" in text:
        return "off"
    if "Acceptable client certificate CA names" in text:
        names = text.split("Acceptable client certificate CA names", 1)[1].split("Client Certificate Types", 1)[0]
        if ca_names_contains and _dn_spacing(ca_names_contains) not in _dn_spacing(names):
            return "requested from other CAs (%s)" % " ".join(names.split())
        return "require" if "alert" in text else "optional"
    return None


def handshake(module, check):
    """What an openssl handshake without a client certificate shows: off, optional, require or a description."""
    cmd = [
        module.get_bin_path("openssl", required=True),
        "s_client",
        "-connect",
        "%s:%s" % (check["host"], check["port"]),
        "-servername",
        check["server_name"],
        "-tls1_2",
    ]
    limit = module.get_bin_path("timeout")
    if limit:
        cmd = [limit, "10"] + cmd
    rc, out, err = module.run_command(cmd, data="Q\n", binary_data=True)
    text = out + err
    seen = classify_handshake(text, check["ca_names_contains"])
    if seen is None:
        seen = "no handshake (rc %s): %s" % (rc, " ".join(text.split())[:300])
    return seen, text


def wait_live(module, check, timeout):
    """(True, seen) once a handshake shows ``check["expect"]``; (False, last seen) at the deadline."""
    deadline = time.time() + timeout
    while True:
        seen, _text = handshake(module, check)
        if seen == check["expect"]:
            return True, seen
        if time.time() > deadline:
            return False, seen
        time.sleep(0.3)


# Error lines in the log formats servers write: Traefik's common ("... ERR ...") and JSON ('"level":"error"')
# formats, logfmt's "level=error", and the "[error]"/"[emerg]" of nginx and Apache error logs.
ERROR_LINE = re.compile(r'(^|\s)(ERR|ERROR|FTL|FATAL)(\s|$)|(?i:level=(error|fatal)|"level"\s*:\s*"(error|fatal)"|\[(\w+:)?(error|emerg|crit|alert)\])')


TIME_STAMP = re.compile(r"^\[?\d[\d/:.TZ+-]*(\s+\d[\d:.,]*)?\]?\s*")


def log_mark(path):
    """Where the server's own log ends now (its size; 0 when it does not exist yet), to read what comes after."""
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def errors_logged(module, since, path=None, unit=None, limit=5):
    """The last ``limit`` error lines the server logged since ``since`` (a byte offset into ``path``, or a time for ``unit``'s journal)."""
    text = ""
    if path:
        try:
            with open(path, "rb") as fh:
                fh.seek(since if os.path.getsize(path) >= since else 0)
                text = fh.read(1 << 20).decode("utf-8", "replace")
        except OSError:
            text = ""
    elif unit:
        journalctl = module.get_bin_path("journalctl")
        if journalctl:
            rc, out, _err = module.run_command([journalctl, "--no-pager", "-o", "cat", "-u", unit, "--since", "@%d" % int(since)])
            text = out if rc == 0 else ""
    # Servers repeat an error on every retry: keep the last of each, told apart without their leading time stamp.
    last = {}
    for ln in text.splitlines():
        if ERROR_LINE.search(ln):
            line = " ".join(ln.split())[:500]
            last.pop(TIME_STAMP.sub("", line), None)
            last[TIME_STAMP.sub("", line)] = line
    return list(last.values())[-limit:]
