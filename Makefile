# originpulls.aop — developer entry points. Every target installs what it needs.
.PHONY: test quick lint sanity unit integration docs molecule compat images demo demo-enable demo-disable demo-audit demo-down bench bench-fleet bench-audit clean help

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' Makefile | sed 's/:.*## /\t/'

test:  ## everything CI runs: lint, sanity, unit, integration, Molecule, compat (ansible-core 2.17)
	bash scripts/test.sh all

quick:  ## the edit loop: lint + unit tests
	bash scripts/test.sh setup lint unit

lint:  ## yamllint, ansible-lint (production), ruff, changelog fragments
	bash scripts/test.sh lint

sanity:  ## ansible-test sanity on the collection
	bash scripts/test.sh sanity

unit:  ## pytest unit tests
	bash scripts/test.sh unit

integration:  ## modules through ansible-playbook against the emulator; collection build
	bash scripts/test.sh integration

docs:  ## the HTML docs site (modules, roles, inventory plugin, rollout guide) in build/docs/build/html
	bash scripts/test.sh docs

molecule:  ## every Molecule scenario (Docker origins)
	bash scripts/test.sh molecule

compat:  ## oldest supported core: ansible-core 2.17 on Python 3.11
	bash scripts/test.sh compat

images:  ## Docker engine on demand + the local origin images (Debian 12 and 13)
	bash scripts/test.sh docker

demo:  ## the main job on Docker origins + the API emulator: enable_aop under load, proof, then the exposure audit
	bash scripts/demo.sh up

demo-disable:  ## disable_aop on the demo fleet (origins relax first, then Cloudflare off)
	bash scripts/demo.sh disable

demo-enable:  ## enable_aop again on the demo fleet
	bash scripts/demo.sh enable

demo-audit:  ## the exposure audit (audit_aop) of the demo fleet; reports in .cache/fleet-state/audit-demo/
	bash scripts/demo.sh audit

demo-down:  ## stop the demo fleet
	bash scripts/demo.sh down

bench:  ## benchmark ratios on a fleet of Docker origins (N=8; BENCH_ORIGINS=24 for more)
	bash scripts/bench.sh

bench-fleet:  ## how cost grows with the fleet: 8, 24, 48 nginx origins (BENCH_SIZES), ratios to the ping floor and PASS/FAIL verdicts; one run, not in CI
	BENCH_SIZES=$${BENCH_SIZES:-8,24,48} bash scripts/bench.sh

bench-audit:  ## audit_aop against an idempotent enable_aop on the 7-origin demo fleet (starts it if needed), one run
	bash scripts/bench-audit.sh

clean:  ## remove the venvs, caches and built docs (images stay; docker rmi them by hand)
	rm -rf .venv .venv-compat .cache build
