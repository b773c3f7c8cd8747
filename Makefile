# The README's two commands: `make demo` and `make test`. Both set the machine up first.
.PHONY: setup build test test-unit demo demo-openflow mininet bench-openflow bench-fabric bench-throughput setup-bench clean

setup:
	@bash scripts/setup.sh

build: setup
	@rm -rf dist && npx tsc -p tsconfig.json

# Every test: unit, property, fuzz, the ovs-ofctl oracle corpus, and real Open vSwitch.
test: build
	@node --test --test-concurrency=1 --test-reporter=spec $$(find dist/test -name '*.test.js' | sort)

test-unit: build
	@node --test --test-reporter=spec $$(find dist/test/openflow -name '*.test.js' | sort)

# The main job: dc-small in Mininet under svcswitch (discovery, link failure, a VM moving).
demo: build
	@node dist/examples/datacenter-demo.js

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

# os-ken (Debian's python3-os-ken, the maintained Ryu) is the peer; only this benchmark needs it.
setup-bench: setup
	@command -v osken-manager >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-os-ken >/dev/null

bench-throughput: build setup-bench
	@node dist/bench/throughput.js

clean:
	rm -rf dist
