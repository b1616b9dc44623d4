"""Long waits show progress: the rollout's gate prints its counts, a certificate upload its status.

Both waits run on the controller in the modules' action plugins, one whole module run per look.
"""

from __future__ import annotations

import threading
import time

from conftest import TOKEN

from helpers.ansible import run_tasks

LINE = (
    'time=%s server=origin.test host=origin.test addr=10.0.0.1 status=200 verify=%s s_dn="CN=edge" '
    'i_dn="CN=origin-pull.test" serial=01 proto=TLSv1.3 request="GET / HTTP/1.1"\n'
)


def now():
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())


def gate_task(log, since, timeout):
    return {
        "name": "gate",
        "originpulls.aop.webserver_status": {
            "server": "nginx",
            "config_test": False,
            "log_path": str(log),
            "stage_file": str(log) + ".stage",
            "log_since": since,
            "gate": {"min_verified": 3, "max_unverified": 0},
            "wait_timeout": timeout,
            "wait_interval": 1,
        },
        "register": "g",
    }


def test_the_gate_waits_for_the_counts_and_prints_them(tmp_path):
    log = tmp_path / "aop.log"
    since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 5))
    log.write_text(LINE % (now(), "SUCCESS"))

    def more():
        time.sleep(12)  # after the first look: ansible-playbook alone takes 5 s to start on a loaded 2-core machine
        with open(log, "a") as fh:
            fh.write(LINE % (now(), "SUCCESS") * 2)

    writer = threading.Thread(target=more)
    writer.start()
    res = run_tasks([gate_task(log, since, 60)], callback="ansible.builtin.default", extra_args=["-v"])
    writer.join()
    assert res.rc == 0, res.stdout[-3000:]
    assert "gate [localhost]: 1 verified of 3 needed, 0 unverified (at most 0), 0 failed (at most 0)" in res.stdout
    assert "FAILED - RETRYING" not in res.stdout
    res = run_tasks([gate_task(log, since, 60)])
    out = res.task("gate")
    assert out["gate"]["verdict"] == "met" and out["counts"]["verified"] == 3 and out["looks"] == 1


def test_the_gate_stops_at_once_on_an_unverified_pull_and_after_the_timeout(tmp_path):
    log = tmp_path / "aop.log"
    since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 5))
    log.write_text(LINE % (now(), "SUCCESS"))
    started = time.monotonic()
    out = run_tasks([gate_task(log, since, 3)]).task("gate")
    assert out["gate"]["verdict"] == "waiting" and out["looks"] >= 2 and not out.get("failed")
    assert time.monotonic() - started < 30
    log.write_text(LINE % (now(), "NONE"))
    out = run_tasks([gate_task(log, since, 60)]).task("gate")
    assert out["gate"]["verdict"] == "failed" and out["looks"] == 1


def upload(emulator, zone_id, tmp_path, wait_timeout, **task):
    """Make a client certificate, then upload it (zone-level) with this wait_timeout."""
    return [
        {"name": "pki", "originpulls.aop.origin_pull_client_pki": {"path": str(tmp_path), "name": "aop"}},
        dict(
            {
                "name": "upload",
                "originpulls.aop.origin_tls_client_auth": {
                    "zone_id": zone_id,
                    "api_url": emulator.url,
                    "api_token": TOKEN,
                    "certificate_path": str(tmp_path / "aop.crt"),
                    "private_key_path": str(tmp_path / "aop.key"),
                    "wait_timeout": wait_timeout,
                },
            },
            **task,
        ),
    ]


def test_a_certificate_upload_prints_its_status_while_cloudflare_deploys_it(emulator, zone_id, tmp_path):
    emulator.state.activation_delay = 7
    tasks = upload(emulator, zone_id, tmp_path, 60, register="up") + [
        {"name": "show", "ansible.builtin.debug": {"msg": "STATUS={{ up.certificate.status }} CHANGED={{ up.changed }}"}},
    ]
    res = run_tasks(tasks, callback="ansible.builtin.default")
    assert res.rc == 0, res.stdout[-3000:]
    assert "is pending_deployment at Cloudflare;" in res.stdout
    assert "STATUS=active CHANGED=True" in res.stdout
    # One upload, whatever the number of looks; the looks were reads.
    assert len([e for e in emulator.log if e["method"] == "POST"]) == 1


def test_a_certificate_that_does_not_deploy_in_time_fails_with_what_to_do(emulator, zone_id, tmp_path):
    emulator.state.activation_delay = 600
    out = run_tasks(upload(emulator, zone_id, tmp_path, 3, ignore_errors=True)).task("upload")
    assert out["failed"] and "is still 'pending_deployment' after 3s; it stays uploaded - run again" in out["msg"]
    assert len([e for e in emulator.log if e["method"] == "POST"]) == 1


def test_a_certificate_that_cloudflare_gives_up_on_fails_at_once_and_is_not_uploaded_again(emulator, zone_id, tmp_path):
    """Deployment timed out while we wait: the wait ends at the next look with the module's advice, one upload only."""
    emulator.state.activation_delay = 600

    def give_up():
        for _attempt in range(300):
            certs = emulator.state.zones[zone_id]["zone_certs"]
            if certs:
                time.sleep(1)
                for cert in certs.values():
                    cert["status"] = "deployment_timed_out"
                return
            time.sleep(0.1)

    worker = threading.Thread(target=give_up)
    worker.start()
    started = time.monotonic()
    out = run_tasks(upload(emulator, zone_id, tmp_path, 120, ignore_errors=True)).task("upload")
    worker.join()
    assert out["failed"] and "is deployment_timed_out on Cloudflare; upload it again" in out["msg"], out.get("msg")
    assert time.monotonic() - started < 60, "it did not wait out wait_timeout"
    assert len([e for e in emulator.log if e["method"] == "POST"]) == 1


def test_async_runs_the_module_once_in_the_background(tmp_path):
    log = tmp_path / "aop.log"
    since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 5))
    log.write_text(LINE % (now(), "SUCCESS"))
    task = gate_task(log, since, 0)
    task.update({"async": 60, "poll": 2})
    out = run_tasks([task]).task("gate")
    assert not out.get("failed") and out["counts"]["verified"] == 1 and out["gate"]["verdict"] == "waiting", out


def test_the_old_name_origin_facts_still_runs_the_gate_and_says_it_is_deprecated(tmp_path):
    """meta/runtime.yml routes the module and its action plugin; the stage comes from the record when there is one."""
    log = tmp_path / "aop.log"
    since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 5))
    log.write_text(LINE % (now(), "SUCCESS") * 3)
    stage_file = tmp_path / "aop.log.stage"
    stage_file.write_text("# originpulls.aop: Cloudflare Authenticated Origin Pulls, stage require.\n")
    record = tmp_path / "originpulls_aop.fact"
    record.write_text('{"server": "nginx", "stage": "require", "files": {}, "includes": {}, "links": {}}\n')
    task = gate_task(log, since, 30)
    args = task.pop("originpulls.aop.webserver_status")
    task["originpulls.aop.origin_facts"] = dict(args, record_path=str(record))
    res = run_tasks([task])
    out = res.task("gate")
    assert out["gate"]["verdict"] == "met" and out["looks"] == 1, out  # 'looks': the action plugin ran
    assert out["stage"] == "require" and out["stage_source"] == "record"
    assert "Use originpulls.aop.webserver_status instead" in res.stdout + res.stderr, res.stderr[-2000:]
    record.unlink()
    stage_file.write_text("# originpulls.aop: Cloudflare Authenticated Origin Pulls, stage observe.\n")
    out = run_tasks([dict(task, **{"originpulls.aop.origin_facts": dict(args, record_path=str(record))})]).task("gate")
    assert out["stage"] == "observe" and out["stage_source"] == "stage_file"
