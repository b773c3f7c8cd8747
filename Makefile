# The README's two commands: `make demo` and `make test`. Both set the machine up first.
# SCOPE=openflow,controller,... limits a run to some layers, MUTATE=src/x.ts,... to some files, TESTS=test/x.test.ts,... to some judges (see stryker.config.mjs).
.PHONY: setup deps lint mutation build build-only test test-unit fuzz bench demo cluster-demo demo-openflow mininet bench-openflow bench-fabric bench-paper bench-downtime bench-scale bench-cold-start bench-planning bench-throughput bench-cluster cluster-failover cluster-operations bench-summary mutation-scores soak setup-bench clean

setup:
	@bash scripts/setup.sh

build: setup build-only

# node modules only (what test-unit and lint need: no root, no Open vSwitch).
deps:
	@[ -f node_modules/.package-lock.json ] && [ ! package-lock.json -nt node_modules/.package-lock.json ] || npm ci --no-audit --no-fund --loglevel=error

# The layer rule (dependency-cruiser, .dependency-cruiser.cjs), Biome's linter, knip (unused
# files, exports, dependencies), the type checker (the controller's and the web view's), and
# that every path the README and docs/ name exists (scripts/check-doc-paths.mjs).
lint: deps
	@npx depcruise src lab bench examples test --config .dependency-cruiser.cjs
	@npx biome lint --error-on-warnings
	@npx knip
	@npx tsc -p tsconfig.json --noEmit
	@npx tsc -p web/tsconfig.json --noEmit
	@node scripts/check-doc-paths.mjs
	@echo "lint: layers, biome, knip, tsc and the docs' paths are clean"

# The controller, its tests and tools; then the web view's ES modules (web/src, for the browser) into dist/web.
build-only:
	@rm -rf dist && npx tsc -p tsconfig.json && npx tsc -p web/tsconfig.json

# Every test: unit, property, fuzz, the ovs-ofctl oracle corpus, and real Open vSwitch.
test: build
	@node --test --test-concurrency=1 --test-reporter=spec $$(find dist/test -name '*.test.js' | sort)
	@FUZZ_CASES=100000 node --expose-gc dist/bench/fuzz.js

# FUZZ_CASES (default 1,000,000) mutated messages through the decoder and through a live controller over TCP; exit 1 on any crash or untyped error.
fuzz: deps build-only
	@node --expose-gc dist/bench/fuzz.js

# Tests that need neither root nor Open vSwitch nor tshark: codec, planners, loader, API and
# controller against the scripted switch. The rest are named *.oracle, *.integration, *.e2e.
UNIT_TESTS = $$(find dist/test -name '*.test.js' ! -name '*.oracle.test.js' ! -name '*.integration.test.js' ! -name '*.e2e.test.js' | sort)
test-unit: deps build-only
	@node --test --test-reporter=spec $(UNIT_TESTS)

# The main job: dc-small in Mininet under svcswitch (discovery, link failure, a VM moving).
demo: build
	@node dist/examples/datacenter-demo.js

# Three svcswitch members on three etcd members, dc-small in Mininet: a member killed, one frozen, the etcd leader killed, under 10 ms pings (docs/cluster.md).
cluster-demo: build
	@node dist/examples/cluster-demo.js

demo-openflow: build
	@node dist/examples/openflow-demo.js

# Interactive: svcswitch with TOPO, and the Mininet CLI on the same file.
TOPO ?= topologies/dc-small.yaml
mininet: build
	@node dist/src/cli.js run --topology $(TOPO) --api-listen 127.0.0.1:8080 --log-format pretty & ctl=$$!; \
	  trap 'kill $$ctl' EXIT; sleep 1; /usr/bin/python3 mininet/dc.py --topology $(TOPO) --controller 127.0.0.1:6653

bench-openflow: build
	@node dist/bench/openflow.js

bench-fabric: build
	@node dist/bench/fabric.js

# The paper's validation in Mininet: ping RTT and web response time, not migrated and in each mode (PAPER_PINGS, PAPER_REQUESTS).
bench-paper: build
	@node dist/bench/paper.js

# Downtime over many migrations in Mininet, per mode and trigger (DOWNTIME_RUNS, default 20).
bench-downtime: build
	@node dist/bench/downtime.js

# Migration at scale without Mininet: 40, 400 and 2,000 switches emulated by a switch farm (SCALE_QUICK=1: the small sizes).
bench-scale: deps build-only
	@node --expose-gc dist/bench/cold-start.js
	@node --expose-gc --max-old-space-size=8192 dist/bench/scale.js

# Cold start to in sync at 40 to 10,000 emulated switches; COLD_START_BASELINE=<commit> measures that commit beside this tree.
bench-cold-start: deps build-only
	@node --expose-gc dist/bench/cold-start.js

# The hostile-input soak: a well-behaved switch beside every attack at once (SOAK_SECONDS, default 30).
soak: deps build-only
	@node dist/bench/soak.js

# Mutation testing of the unit suite (StrykerJS, incremental: reports/stryker-incremental-SCOPE.json are committed).
# The score of every file under src/ from the committed incremental results: per file, per folder, overall; stale and unmeasured files named.
mutation-scores:
	@node scripts/mutation-scores.mjs

mutation: deps
	@SCOPE=$(SCOPE) MUTATE=$(MUTATE) TESTS=$(TESTS) TIMEOUT_MS=$(TIMEOUT_MS) npx stryker run stryker.config.mjs
	@# The incremental state is committed: no machine path in it (failure texts quote the sandbox).
	@sed -i "s#$(CURDIR)#.#g" reports/stryker-incremental-*.json

# One host change at 1k, 15k and 100k hosts: incremental planning vs a full re-plan (no root needed).
bench-planning: deps build-only
	@node dist/bench/planning.js

# os-ken (Debian's python3-os-ken, the maintained Ryu) is the peer; only this benchmark needs it.
setup-bench: setup
	@command -v osken-manager >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-os-ken >/dev/null

bench-throughput: build setup-bench
	@node dist/bench/throughput.js

# Every benchmark in one run, one after another (each prints its progress, its tables, and writes JSON and SVG to bench/results/).
bench: build setup-bench
	@for b in openflow fabric throughput planning paper downtime scale; do echo "[bench] === $$b ==="; node --expose-gc --max-old-space-size=8192 dist/bench/$$b.js || exit 1; done
	@node dist/bench/summary.js

# Issue 24, acceptance 5: the migration leader killed at each step of a migration (ROUNDS=5; also part of `make test`).
cluster-failover: build
	@node --test dist/test/cluster/migration-failover.e2e.test.js

# Issue 24, acceptance 4: 1,000 random binding, host and migration operations with 5 members killed in between (OPERATIONS, OPERATION_KILLS, SEED).
cluster-operations: build
	@node --test dist/test/cluster/cluster-operations.soak.js

# Issue 24, acceptance 7: PACKET_INs per second with 1, 2 and 3 members, and migration latency through etcd against SQLite (docs/cluster.md).
bench-cluster: build
	@node dist/bench/cluster.js

bench-summary: build-only
	@node dist/bench/summary.js

clean:
	rm -rf dist
