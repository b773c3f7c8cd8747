# The README's two commands: `make demo` and `make test`. Both set the machine up first.
.PHONY: setup build test test-unit test-ovs demo bench-openflow clean

setup:
	@bash scripts/setup.sh

build: setup
	@npx tsc -p tsconfig.json

# Every test: unit, property, fuzz, the ovs-ofctl oracle corpus, and real Open vSwitch.
test: build
	@node --test --test-reporter=spec $$(find dist/test -name '*.test.js' | sort)

test-unit: build
	@node --test --test-reporter=spec $$(find dist/test/openflow -name '*.test.js' | sort)

demo: build
	@node dist/examples/openflow-demo.js

bench-openflow: build
	@node dist/bench/openflow.js

clean:
	rm -rf dist
