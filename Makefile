# The test command of the README: format and vet checks, then every test
# (-count=1: tests of real servers always run, never from the test cache).
# Tests that need tor, Knot, Unbound, PostgreSQL … fail (never skip) when it
# is missing; .ci/run installs them first.
GO ?= go

.PHONY: test check build
test: check
	$(GO) test -count=1 -timeout 60m ./...

check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# nodynamic: the WebP encoder runs in WebAssembly only, and the binary
# links no purego (which would make a CGO_ENABLED=0 build dynamic and look
# for a system libwebp); see caddy-module/precompress/images.go.
build:
	$(GO) build -tags nodynamic -o bin/hoster ./hoster

# Performance: plain Caddy vs the metered hoster vs haproxy+nginx, and the Go
# benchmarks, as ratios measured in one run (docs/BENCHMARKS.md). Not a test.
.PHONY: bench
bench:
	bench/run

# Reliability: kill -9 crashes, forgery and replay, load, faults (and the
# fuzz script) at full size, then the table of what was injected, checked,
# lost (0) and duplicated (0). docs/reliability.md. Needs root and postgres.
.PHONY: reliability
reliability:
	reliability/run
