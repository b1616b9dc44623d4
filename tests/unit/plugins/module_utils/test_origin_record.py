"""webserver_status reads the stage from the record webserver_config wrote once it was live, else from the stage file."""

from __future__ import annotations

import hashlib
import json
import os

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


REQUIRE_FILE = STAGE_FILE.replace("optional", "require")


def test_the_record_wins_over_the_stage_file(tmp_path):
    got = stage_of("nginx", *paths(tmp_path, {"server": "nginx", "stage": "require", "trusted_ca_sha256": ["EE:FF"]}, stage=REQUIRE_FILE))
    assert got == {"stage": "require", "stage_source": "record", "trusted_ca_sha256": ["EE:FF"]}


def test_trusted_cas_come_from_the_stage_file_when_the_record_has_none(tmp_path):
    got = stage_of("nginx", *paths(tmp_path, {"server": "nginx", "stage": "require"}, stage=REQUIRE_FILE))
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


def test_a_stage_file_that_contradicts_the_record_makes_the_stage_unknown(tmp_path):
    stage_file, record_path = paths(tmp_path, {"server": "nginx", "stage": "require"}, stage=REQUIRE_FILE)
    assert stage_of("nginx", stage_file, record_path)["stage"] == "require"
    got = stage_of("nginx", *paths(tmp_path, {"server": "nginx", "stage": "off"}, stage=STAGE_FILE))
    assert got["stage"] == "unknown" and got["stage_source"] == "conflict" and got["trusted_ca_sha256"] is None
    assert got["stage_conflict"] == "the record says stage off, the stage file %s says optional" % (tmp_path / "client-auth.conf")


def test_a_stage_file_changed_or_gone_since_the_record_makes_the_stage_unknown(tmp_path):
    stage_file = str(tmp_path / "client-auth.conf")
    sha = hashlib.sha256(STAGE_FILE.encode()).hexdigest()
    record = {"server": "nginx", "stage": "optional", "files": {stage_file: sha}}
    assert stage_of("nginx", *paths(tmp_path, record))["stage_source"] == "record"
    got = stage_of("nginx", *paths(tmp_path, record, stage=STAGE_FILE + "ssl_verify_client on;\n"))
    assert got["stage"] == "unknown" and got["stage_conflict"] == "%s changed since the record of stage optional was written" % stage_file
    os.unlink(stage_file)
    got = stage_of("nginx", stage_file, str(tmp_path / "originpulls_aop.fact"))
    assert got["stage"] == "unknown" and got["stage_conflict"] == "the record lists %s, which is gone" % stage_file


def test_any_recorded_file_changed_or_gone_makes_the_stage_unknown_wherever_the_role_dir_is(tmp_path):
    """The stage file looked at may not be the role's (origin_dir elsewhere): every file the record lists counts."""
    snippet = tmp_path / "snippets" / "aop" / "client-auth.conf"
    snippet.parent.mkdir(parents=True)
    snippet.write_text("ssl_verify_client optional;\n")
    record = {"server": "nginx", "stage": "optional", "files": {str(snippet): hashlib.sha256(b"ssl_verify_client optional;\n").hexdigest()}}
    stage_file, record_path = paths(tmp_path, record, stage=None)  # no stage file at the default place
    assert stage_of("nginx", stage_file, record_path)["stage"] == "optional"
    snippet.write_text("ssl_verify_client on;\n")  # a run wrote require and died before its reload
    got = stage_of("nginx", stage_file, record_path)
    assert got["stage"] == "unknown" and got["stage_conflict"] == "%s changed since the record of stage optional was written" % snippet
    snippet.unlink()
    assert stage_of("nginx", stage_file, record_path)["stage_conflict"] == "the record lists %s, which is gone" % snippet
