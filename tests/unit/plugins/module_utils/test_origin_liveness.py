"""The liveness checks of webserver_config: processes and workers from /proc, and the server's own error lines."""

from __future__ import annotations

import os
import subprocess
import sys

from ansible_collections.originpulls.aop.plugins.module_utils import _origin_liveness as live

TRAEFIK_BROKEN = (
    '2026-11-28T15:05:27Z ERR Error occurred during watcher callback error="collecting file configs: '
    "/etc/traefik/dynamic/broken.yml: yaml: line 1: did not find expected ',' or ']'\" providerName=file\n"
)


def test_only_error_lines_written_after_the_mark_are_quoted(tmp_path):
    log = tmp_path / "traefik.log"
    log.write_text("2026-11-28T15:00:00Z ERR an old error from before the change\n")
    mark = live.log_mark(str(log))
    with log.open("a") as fh:
        fh.write("2026-11-28T15:05:26Z INF Starting provider *file.Provider\n")
        fh.write("2026-11-28T15:05:26Z INF no error here, only the word\n")
        fh.write(TRAEFIK_BROKEN)
        fh.write(TRAEFIK_BROKEN.replace("15:05:27", "15:05:29"))  # the same error again on the next retry
    lines = live.errors_logged(None, mark, path=str(log))
    assert len(lines) == 1
    assert lines[0].startswith("2026-11-28T15:05:29Z ERR Error occurred during watcher callback")
    assert "broken.yml: yaml: line 1" in lines[0]


def test_error_lines_of_other_formats_and_the_limit(tmp_path):
    log = tmp_path / "server.log"
    log.write_text(
        '{"level":"error","msg":"json one"}\n'
        "time=x level=error msg=logfmt\n"
        "2026/11/28 15:00:00 [emerg] 12#12: nginx one\n"
        "[Sat Nov 28 15:00:00 2026] [ssl:error] [pid 1] apache one\n"
        '{"level":"info","msg":"an error in a message is not an error line"}\n'
        "2026-11-28T15:00:00Z FTL fatal one\n"
    )
    lines = live.errors_logged(None, 0, path=str(log), limit=5)
    assert [ln.split()[-1] for ln in lines] == ['one"}', "msg=logfmt", "one", "one", "one"]
    assert len(live.errors_logged(None, 0, path=str(log), limit=2)) == 2
    assert "fatal one" in live.errors_logged(None, 0, path=str(log))[-1]


def test_a_missing_or_rotated_log(tmp_path):
    log = tmp_path / "gone.log"
    assert live.log_mark(str(log)) == 0
    assert live.errors_logged(None, 0, path=str(log)) == []
    log.write_text(TRAEFIK_BROKEN)  # rotated: smaller than the mark, read from its start
    assert len(live.errors_logged(None, 10_000, path=str(log))) == 1


def test_processes_master_and_new_workers_from_proc(tmp_path):
    pid_file = tmp_path / "server.pid"
    pid_file.write_text("%d\n" % os.getpid())
    assert live.master_pid(str(pid_file)) == os.getpid()
    before = live.children(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert child.pid in live.children(os.getpid()) - before
        assert live.wait_new_worker(str(pid_file), before, 2) == (True, os.getpid())
        assert live.wait_new_worker(str(pid_file), before | {child.pid}, 0.3)[0] is False
        with open("/proc/%d/comm" % child.pid) as fh:
            assert child.pid in live.processes(fh.read().strip())
    finally:
        child.kill()
        child.wait()
    assert child.pid not in live.children(os.getpid())
    pid_file.write_text("%d\n" % child.pid)  # a dead master
    assert live.master_pid(str(pid_file)) is None
    assert live.master_pid(str(tmp_path / "missing.pid")) is None
    assert live.processes("no-such-server-x") == []
