# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading the stage an origin runs: the record webserver_config wrote once it was live, else the role's stage file.

PRIVATE to the collection. Imports nothing from Ansible.
"""

from __future__ import annotations

import hashlib
import json
import re

STAGE_RE = re.compile(r"Authenticated Origin Pulls, stage (\w+)")
TRUSTED_RE = re.compile(r"originpulls\.aop: trusted CA SHA-256 ([0-9A-Fa-f: ]*)$", re.M)


def read_record(path):
    """The record webserver_config wrote once a stage was live (a JSON object), or None."""
    try:
        with open(path) as fh:
            doc = json.load(fh)
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def read_stage_file(path):
    """(stage, trusted CA fingerprints) as the stage snippet states them; (None, None) when it is not there."""
    try:
        with open(path) as fh:
            head = fh.read(4096)
    except OSError:
        return None, None
    m = STAGE_RE.search(head)
    t = TRUSTED_RE.search(head)
    return (m.group(1) if m else "unknown"), (t.group(1).split() if t else None)


def stage_of(server, stage_file, record_path):
    """``stage``, ``stage_source`` and ``trusted_ca_sha256`` of an origin (and ``stage_conflict``, see below).

    The record wins when there is one for this server (a record naming another server is ignored); the trusted CAs
    come from it when it has them, else from the stage file. Without a record: the stage file; without both: none.
    A record the files contradict (another stage in the stage file, or a file the record lists - stage file, CA,
    log configuration - changed or gone since) is stale: the run that wrote the file may have died before it was live, or someone edited it. The
    stage is then ``unknown`` (``stage_source`` ``conflict``) and ``stage_conflict`` says why: what is live cannot
    be told from the disk, and the rollout's guards refuse to switch Cloudflare over an origin in that state.
    """
    record = read_record(record_path)
    stage, trusted = read_stage_file(stage_file)
    if record and record.get("stage") and record.get("server", server) == server:
        why = conflict(record, stage_file, stage)
        if why:
            return dict(stage="unknown", stage_source="conflict", trusted_ca_sha256=None, stage_conflict=why)
        recorded = record.get("trusted_ca_sha256")
        return dict(stage=str(record["stage"]), stage_source="record", trusted_ca_sha256=recorded if isinstance(recorded, list) else trusted)
    if stage is None:
        return dict(stage="none", stage_source="none", trusted_ca_sha256=None)
    return dict(stage=stage, stage_source="stage_file", trusted_ca_sha256=trusted)


def conflict(record, stage_file, stage):
    """Why the files on disk contradict the record (another stage in the stage file, or a file the record lists changed
    or gone since), or None when they do not. Every recorded file counts, wherever the role's directory is."""
    recorded = str(record["stage"])
    if stage not in (None, "unknown") and stage != recorded:
        return "the record says stage %s, the stage file %s says %s" % (recorded, stage_file, stage)
    files = record.get("files")
    for path, sha in sorted(files.items()) if isinstance(files, dict) else ():
        try:
            with open(path, "rb") as fh:
                now = hashlib.sha256(fh.read()).hexdigest()
        except FileNotFoundError:
            return "the record lists %s, which is gone" % path
        except OSError:  # not readable by this user: it cannot tell, so it does not count
            continue
        if now != sha:
            return "%s changed since the record of stage %s was written" % (path, recorded)
    return None
