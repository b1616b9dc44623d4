"""Which supported server runs here (webserver_status server: auto): the one that runs; with several, the one the record names."""

from __future__ import annotations

import json

from ansible_collections.originpulls.aop.plugins.module_utils._webserver_servers import detect


def test_one_running_server_is_the_one(tmp_path):
    assert detect(["nginx"], str(tmp_path / "none.fact")) == ("nginx", None)


def test_none_running_says_what_to_do(tmp_path):
    server, why = detect([], str(tmp_path / "none.fact"))
    assert server is None and "no supported web server" in why and "set the server type" in why


def test_several_running_take_the_one_the_record_names(tmp_path):
    record = tmp_path / "originpulls_aop.fact"
    record.write_text(json.dumps({"server": "nginx", "stage": "optional"}))
    assert detect(["haproxy", "nginx"], str(record)) == ("nginx", None)


def test_several_running_without_a_record_of_one_of_them_is_refused(tmp_path):
    record = tmp_path / "originpulls_aop.fact"
    for doc in (None, {"server": "caddy", "stage": "optional"}, {"stage": "optional"}):
        if doc is not None:
            record.write_text(json.dumps(doc))
        server, why = detect(["haproxy", "nginx"], str(record))
        assert server is None and why == "several web servers run here (haproxy, nginx): set the server type for this host (origin_server)"
