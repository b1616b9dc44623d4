#!/usr/bin/env bash
# The project's test driver. Installs and starts what it needs, then runs phases in order,
# printing the time of each:
#
#   setup        project venv (.venv), pinned; newest Python >= 3.12, else 3.11; Chromium (apt) for the
#                HTML report's browser test
#   (lint, sanity, unit, integration and docs are the nox sessions of noxfile.py, run in that venv)
#   lint         yamllint, ansible-lint (production profile), ruff, changelog fragments
#   sanity       ansible-test sanity on a temporary ansible_collections/originpulls/aop tree
#   unit         pytest tests/unit (API client against the emulator, certificate logic, ...)
#   integration  pytest tests/integration_pytest (modules through ansible-playbook, collection build),
#                two pytest-xdist workers
#   docs         antsibull-docs lint-collection-docs --plugin-docs; the HTML docs site
#                (scripts/docs.sh: sphinx-init + sphinx-build -W, into build/docs) and its check
#                (tests/integration_pytest/test_docs_site.py)
#   docker       Docker engine on demand + the locally built origin images: Debian 12 (bookworm,
#                AOP_ORIGIN_IMAGE) and Debian 13 (trixie, AOP_ORIGIN_IMAGE_TRIXIE)
#   molecule     every Molecule scenario under extensions/molecule: origins on Debian 12 and on
#                Debian 13 (containers ${AOP_ORIGINS}-* and ${AOP_ORIGINS}-trixie-*), rollout on
#                Debian 13, toolchain on Debian 12; each run's time is printed
#                (AOP_ORIGINS_SUITES="trixie" runs origins on Debian 13 only)
#   compat       ansible-core 2.17 on Python 3.11: sanity, unit tests, one Molecule scenario
#                (compat-checks + compat-molecule)
#   ee-image     the execution environment of examples/execution-environment.yml, built here with
#                ansible-builder on a locally built Debian 13 base (scripts/build-ee.sh; both images are
#                tagged by a hash of their inputs and reused); exports AOP_EE_IMAGE, so that the 'rollout'
#                scenario's converge (the demo's enable_aop under load) runs inside it (molecule, docker-lanes)
#   docker-lanes the Docker scenarios of 'molecule' and 'compat-molecule' in two lanes at once: 'rollout'
#                (the long one: containers ${AOP_FLEET}-*) in one, origins on Debian 12 and 13, toolchain
#                and compat-molecule (containers ${AOP_ORIGINS}-*, aop-toolchain-origin) in the other;
#                each lane's output goes to .cache/lane-<name>.log, the console gets one line per
#                scenario. The first lane to fail stops the other and destroys its containers; the
#                failed lane's log is printed. The phase table has each scenario's time and each lane's.
#   ee           on its own: ee-image, then enable_aop run by ansible-runner inside the EE (container
#                isolation, as AWX runs a job) against a fresh 'rollout' fleet, with the demo's checks
#                (tests/fleet/e2e.py enable --runner ee); 'all' gets the same run from ee-image + docker-lanes
#
#   scripts/test.sh all            everything above (what 'make test' and CI run): setup, lint, docker,
#                                  ee-image, docker-lanes. After setup and
#                                  lint, the checks that need no Docker (sanity, unit, integration,
#                                  docs, compat-checks) run in the background while the Docker phases run:
#                                  the Molecule scenarios spend most of their time waiting (reloads,
#                                  gates, paced load), so the two cores are otherwise half idle.
#   scripts/test.sh lint unit      just these phases (what 'make quick' runs)
#   MOLECULE_SCENARIOS="toolchain" scripts/test.sh molecule
#   MOLECULE_SCENARIOS="origins" AOP_ORIGINS_SUITES="trixie" scripts/test.sh molecule
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
mkdir -p .cache

phases=("$@")
[[ ${#phases[@]} -gt 0 ]] || phases=(all)
background=()
declare -A lane_pids=() # the Docker lanes running (phase docker-lanes): name -> pid
if [[ " ${phases[*]} " == *" all "* ]]; then
  phases=(setup lint docker ee-image docker-lanes)
  background=(sanity unit integration docs compat-checks)
fi

declare -a timings=()
started=$(date +%s)

log() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

kill_tree() {
  local child
  for child in $(pgrep -P "$1" 2>/dev/null); do kill_tree "$child"; done
  kill "$1" 2>/dev/null || true
}

report() {
  local rc=$?
  # Interrupted, or a phase failed while Docker lanes still run: stop them, destroy their containers.
  stop_lanes
  if [[ -n ${bg_pid:-} ]]; then
    # A foreground phase failed while the background checks still run: stop them, show how far they got.
    kill_tree "$bg_pid"
    wait "$bg_pid" 2>/dev/null || true
    echo "--- background checks (stopped) ---"
    cat .cache/background-checks.log 2>/dev/null || true
  fi
  [[ -f ${timing_file:-/nonexistent} ]] && mapfile -t timings <"$timing_file"
  printf '\n%-30s %8s\n' "phase" "seconds"
  printf '%-30s %8s\n' "-----" "-------"
  local t
  for t in "${timings[@]}"; do printf '%-30s %8s\n' ${t}; done
  printf '%-30s %8s\n' "total" "$(( $(date +%s) - started ))"
  if [[ $rc -eq 0 ]]; then echo "all phases passed"; else echo "FAILED (exit $rc)"; fi
}
trap report EXIT

use_venv() {
  local venv="$1"
  export VIRTUAL_ENV="$venv"
  export PATH="$venv/bin:${PATH}"
  # The checkout is the collection: expose it as ansible_collections/originpulls/aop.
  export ANSIBLE_COLLECTIONS_PATH="$here/.cache/collections"
  "$venv/bin/python" - <<'PY'
import sys
sys.path.insert(0, "tests")
from helpers.collection import collections_root
collections_root()
PY
}

venv_main() {
  [[ -n "${MAIN_VENV:-}" ]] || MAIN_VENV=$(bash scripts/setup-venv.sh main)
  use_venv "$MAIN_VENV"
}

images() {
  # Debian 12 (bookworm) in AOP_ORIGIN_IMAGE, Debian 13 (trixie) in AOP_ORIGIN_IMAGE_TRIXIE; each is
  # built only when its tag is missing (the build script skips an image that exists).
  if [[ -n "${AOP_ORIGIN_IMAGE:-}" ]] && docker image inspect "$AOP_ORIGIN_IMAGE" >/dev/null 2>&1 \
    && [[ -n "${AOP_ORIGIN_IMAGE_TRIXIE:-}" ]] && docker image inspect "$AOP_ORIGIN_IMAGE_TRIXIE" >/dev/null 2>&1; then
    return 0
  fi
  bash scripts/ensure-docker.sh
  AOP_ORIGIN_IMAGE=$(bash tests/images/build-origin-image.sh bookworm)
  AOP_ORIGIN_IMAGE_TRIXIE=$(bash tests/images/build-origin-image.sh trixie)
  export AOP_ORIGIN_IMAGE AOP_ORIGIN_IMAGE_TRIXIE
}

# One Molecule scenario on one Debian release, timed: molecule_on <bookworm|trixie> <scenario>.
# origins runs on both: on trixie its containers take the prefix AOP_ORIGINS-trixie, so the two runs
# never share a container name.
molecule_on() {
  local suite="$1" s="$2" t0 image="$AOP_ORIGIN_IMAGE"
  local -a env_over=()
  if [[ $suite == trixie ]]; then
    image="$AOP_ORIGIN_IMAGE_TRIXIE"
    [[ $s == origins ]] && env_over=("AOP_ORIGINS=${AOP_ORIGINS:-aop-origin}-trixie")
  fi
  log "molecule test -s $s on Debian $suite ($image)"
  lane_progress "molecule test -s $s on Debian $suite: started"
  t0=$(date +%s)
  local rc=0
  env AOP_ORIGIN_IMAGE="$image" "${env_over[@]}" molecule test -s "$s" || rc=$?
  if [[ $rc -ne 0 ]]; then
    lane_progress "molecule test -s $s on Debian $suite: FAILED (exit $rc) after $(( $(date +%s) - t0 ))s"
    return "$rc"
  fi
  echo "molecule $s on $suite took $(( $(date +%s) - t0 ))s"
  lane_progress "molecule test -s $s on Debian $suite: passed in $(( $(date +%s) - t0 ))s"
  echo "molecule:$s:$suite $(( $(date +%s) - t0 ))" >>"$timing_file"
}

# ---------------------------------------------------------------------------------------- Docker lanes
# Phase docker-lanes: 'rollout' in one lane, every other scenario and compat-molecule in the other. Their
# containers never share a name (${AOP_FLEET}-*, ${AOP_ORIGINS}-*, aop-toolchain-origin), and most of each
# lane's time is spent waiting (reloads, gates, paced load), so together they take about as long as rollout.
# One line on the console (fd 3, the script's stdout) from inside a lane, whose own output goes to its log.
lane_progress() {
  if [[ -n ${LANE:-} ]]; then printf '  [lane %s %s] %s\n' "$LANE" "$(date +%H:%M:%S)" "$*" >&3; fi
}

# lane_run <name> <step>...: step is <scenario>:<bookworm|trixie> or compat-molecule; stops at the first failure.
lane_run() {
  LANE="$1"
  shift
  local t0 step
  t0=$(date +%s)
  for step in "$@"; do
    if [[ $step == compat-molecule ]]; then
      # Not in a '||' context, where set -e would be off inside the phase: a failure ends the lane here.
      lane_progress "compat-molecule (ansible-core 2.17): started"
      local c0
      c0=$(date +%s)
      run_phase compat-molecule
      lane_progress "compat-molecule: passed in $(( $(date +%s) - c0 ))s"
    else
      molecule_on "${step#*:}" "${step%%:*}"
    fi
  done
  echo "lane:$LANE $(( $(date +%s) - t0 ))" >>"$timing_file"
  lane_progress "lane done in $(( $(date +%s) - t0 ))s"
}

# The containers (and, for rollout, the emulator) a stopped lane may have left.
destroy_lane() {
  local s suite
  for s in $(molecule_scenarios) toolchain; do
    case "$s:$1" in
      rollout:rollout)
        molecule cleanup -s rollout >/dev/null 2>&1 || true
        molecule destroy -s rollout >/dev/null 2>&1 || true
        ;;
      rollout:* | *:rollout) ;;
      origins:*)
        for suite in ${AOP_ORIGINS_SUITES:-bookworm trixie}; do
          if [[ $suite == trixie ]]; then
            AOP_ORIGINS="${AOP_ORIGINS:-aop-origin}-trixie" molecule destroy -s origins >/dev/null 2>&1 || true
          else
            molecule destroy -s origins >/dev/null 2>&1 || true
          fi
        done
        ;;
      *) molecule destroy -s "$s" >/dev/null 2>&1 || true ;;
    esac
  done
}

# Stop every lane still running (its process tree), then destroy its containers.
stop_lanes() {
  local name
  for name in "${!lane_pids[@]}"; do
    kill_tree "${lane_pids[$name]}"
    wait "${lane_pids[$name]}" 2>/dev/null || true
    echo "lane $name stopped; destroying its containers"
    destroy_lane "$name"
    unset "lane_pids[$name]"
  done
}

run_lanes() {
  local -a rollout=() others=()
  local s suite
  for s in $(molecule_scenarios); do
    case "$s" in
      rollout) rollout+=("rollout:trixie") ;;
      origins) for suite in ${AOP_ORIGINS_SUITES:-bookworm trixie}; do others+=("origins:$suite"); done ;;
      *) others+=("$s:bookworm") ;;
    esac
  done
  others+=(compat-molecule)
  exec 3>&1
  if [[ ${#rollout[@]} -gt 0 ]]; then
    ( lane_run rollout "${rollout[@]}" ) >.cache/lane-rollout.log 2>&1 &
    lane_pids[rollout]=$!
    echo "lane rollout: ${rollout[*]} (output: .cache/lane-rollout.log)"
  fi
  ( lane_run origins "${others[@]}" ) >.cache/lane-origins.log 2>&1 &
  lane_pids[origins]=$!
  echo "lane origins: ${others[*]} (output: .cache/lane-origins.log)"
  local finished name rc
  while [[ ${#lane_pids[@]} -gt 0 ]]; do
    rc=0
    finished=""
    wait -n -p finished "${lane_pids[@]}" || rc=$?
    for name in "${!lane_pids[@]}"; do
      [[ ${lane_pids[$name]} == "$finished" ]] && unset "lane_pids[$name]" && break
    done
    if [[ $rc -ne 0 ]]; then
      echo "lane $name FAILED (exit $rc); the last 400 lines of .cache/lane-$name.log:"
      tail -n 400 ".cache/lane-$name.log"
      stop_lanes
      return "$rc"
    fi
    echo "lane $name passed"
  done
}

# The checks that need no Docker are nox sessions (noxfile.py): lint, sanity, unit, integration, docs. nox
# runs in the project venv and creates none of its own (python=False); in compat-checks it runs the
# sessions against the compat venv (the tools and the python on PATH, VIRTUAL_ENV).
run_nox() {
  "$MAIN_VENV/bin/nox" --noxfile "$here/noxfile.py" --sessions "$@"
}

molecule_scenarios() {
  if [[ -n "${MOLECULE_SCENARIOS:-}" ]]; then
    echo "$MOLECULE_SCENARIOS"
  else
    find extensions/molecule -mindepth 2 -maxdepth 2 -name molecule.yml -printf '%h\n' | xargs -n1 basename | sort
  fi
}

phase() {
  case "$1" in
    setup)
      venv_main
      python -c 'import ansible, sys; print("python", sys.version.split()[0], "ansible-core", ansible.__version__)'
      bash scripts/setup-venv.sh compat >/dev/null
      # The HTML report's browser test needs Chromium; installed here, before anything runs in parallel.
      bash scripts/ensure-chromium.sh
      ;;
    lint | sanity | unit | docs)
      venv_main
      run_nox "$1"
      ;;
    integration)
      venv_main
      bash scripts/ensure-chromium.sh
      run_nox integration
      ;;
    docker)
      images
      echo "origin image, Debian 12: $AOP_ORIGIN_IMAGE"
      echo "origin image, Debian 13: $AOP_ORIGIN_IMAGE_TRIXIE"
      ;;
    molecule)
      venv_main
      images
      local s
      for s in $(molecule_scenarios); do
        case "$s" in
          origins)
            local suite
            for suite in ${AOP_ORIGINS_SUITES:-bookworm trixie}; do molecule_on "$suite" "$s"; done
            ;;
          rollout) molecule_on trixie "$s" ;;
          *) molecule_on bookworm "$s" ;;
        esac
      done
      ;;
    docker-lanes)
      venv_main
      images
      run_lanes
      ;;
    ee-image)
      venv_main
      images
      AOP_EE_IMAGE=$(bash scripts/build-ee.sh)
      export AOP_EE_IMAGE
      echo "execution environment: $AOP_EE_IMAGE (the rollout scenario's converge runs in it)"
      ;;
    ee)
      phase ee-image
      local state="$here/.cache/fleet-state"
      # The rollout scenario's fleet (create + prepare: origins, emulator, edge), then enable_aop inside the EE.
      # As 'molecule test' does: destroy first (a fleet left over under the same names), and at the end.
      molecule destroy -s rollout >/dev/null 2>&1 || true
      (
        trap 'molecule cleanup -s rollout >/dev/null 2>&1 || true; molecule destroy -s rollout >/dev/null 2>&1 || true' EXIT
        molecule create -s rollout
        molecule prepare -s rollout
        python tests/fleet/e2e.py enable --state "$state" --runner ee --ee-image "$AOP_EE_IMAGE"
      )
      ;;
    compat)
      phase compat-checks
      phase compat-molecule
      ;;
    compat-checks)
      local compat
      venv_main
      compat=$(bash scripts/setup-venv.sh compat)
      (
        use_venv "$compat"
        python -c 'import ansible, sys; print("compat: python", sys.version.split()[0], "ansible-core", ansible.__version__)'
        run_nox sanity unit
      )
      ;;
    compat-molecule)
      local compat
      compat=$(bash scripts/setup-venv.sh compat)
      images
      (
        use_venv "$compat"
        molecule test -s "${COMPAT_SCENARIO:-toolchain}"
      )
      ;;
    *)
      echo "unknown phase '$1' (phases: setup lint sanity unit integration docs docker molecule docker-lanes compat compat-checks compat-molecule ee-image ee, or all)" >&2
      return 2
      ;;
  esac
}

run_phase() {
  local p="$1" t0
  log "phase $p"
  t0=$(date +%s)
  phase "$p"
  echo "phase $p took $(( $(date +%s) - t0 ))s"
  echo "$p $(( $(date +%s) - t0 ))" >>"$timing_file"
}

timing_file=.cache/test-timings
: >"$timing_file"
bg_pid=""
for p in "${phases[@]}"; do
  run_phase "$p"
  if [[ $p == lint && ${#background[@]} -gt 0 ]]; then
    log "in the background: ${background[*]} (output: .cache/background-checks.log)"
    # A subshell keeps set -e; the first failing phase ends it with its exit code.
    ( for b in "${background[@]}"; do run_phase "$b"; done ) >.cache/background-checks.log 2>&1 &
    bg_pid=$!
  fi
done
if [[ -n $bg_pid ]]; then
  bg_rc=0
  wait "$bg_pid" || bg_rc=$?
  bg_pid=""
  log "background checks (${background[*]}): output"
  cat .cache/background-checks.log
  [[ $bg_rc -eq 0 ]] || { echo "background checks failed (exit $bg_rc)"; exit "$bg_rc"; }
fi
