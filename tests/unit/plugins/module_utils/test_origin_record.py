"""webserver_status reads the stage from the record webserver_config wrote once it was live, else from the stage file."""

from __future__ import annotations

import json

from ansible_collections.originpulls.aop.plugins.module_utils._origin_record import stage_of

STAGE_FILE = """\
# Ansible managed
# originpulls.aop: Cloudflare Authenticated Origin Pulls, stage optional.
# originpulls.aop: trusted CA SHA-256 AA:BB CC:DD
"""


def paths(tmp_path, record=None, stage=STAGE_FILE):
    stage_file, record_path = tmp_path / "client-auth.conf", tmp_path / "originpulls_aop.fact"
    if stage is not None:
        stage_file.write_text(stage)
    if record is not None:
        record_path.write_text(record if isinstance(record, str) else json.dumps(record))
    return str(stage_file), str(record_path)


def test_the_record_wins_over_the_stage_file(tmp_path):
    got = stage_of("nginx", *paths(tmp_path, {"server": "nginx", "stage": "require", "trusted_ca_sha256": ["EE:FF"]}))
    assert got == {"stage": "require", "stage_source": "record", "trusted_ca_sha256": ["EE:FF"]}


def test_trusted_cas_come_from_the_stage_file_when_the_record_has_none(tmp_path):
    got = stage_of("nginx", *paths(tmp_path, {"server": "nginx", "stage": "require"}))
    assert got == {"stage": "require", "stage_source": "record", "trusted_ca_sha256": ["AA:BB", "CC:DD"]}


def test_without_a_record_the_stage_file(tmp_path):
    assert stage_of("nginx", *paths(tmp_path)) == {"stage": "optional", "stage_source": "stage_file", "trusted_ca_sha256": ["AA:BB", "CC:DD"]}


def test_a_record_of_another_server_or_unreadable_is_ignored(tmp_path):
    assert stage_of("haproxy", *paths(tmp_path, {"server": "nginx", "stage": "require"}))["stage_source"] == "stage_file"
    assert stage_of("nginx", *paths(tmp_path, "{not json"))["stage"] == "optional"
    assert stage_of("nginx", *paths(tmp_path, ["a", "list"]))["stage"] == "optional"


def test_neither_is_none(tmp_path):
    assert stage_of("nginx", *paths(tmp_path, stage=None)) == {"stage": "none", "stage_source": "none", "trusted_ca_sha256": None}
    got = stage_of("nginx", *paths(tmp_path / "..", stage="# no stage line\n"))
    assert got["stage"] == "unknown" and got["stage_source"] == "stage_file"
