# Tongxin: build, test and try the tools against a throwaway PostgreSQL server.
#
# Every target that needs PostgreSQL runs `deps` first, which installs the server binaries,
# libpq and pkg-config with apt-get when something is missing (and says nothing otherwise).
# The tests and `tongxin-devdb` start their own servers (EmbeddedPostgres): no running
# PostgreSQL, no docker and no configuration are needed.

SHELL := /bin/bash
SWIFT ?= swift
# sudo for apt-get when not root and sudo exists.
SUDO := $(shell [ "$$(id -u)" = 0 ] || ! command -v sudo >/dev/null 2>&1 || echo sudo)

.DEFAULT_GOAL := help
.PHONY: help deps build demo web test chaos bench clean

help:
	@echo "usage: make TARGET"
	@echo
	@echo "  deps    install postgresql, libpq-dev, libcurl4-openssl-dev (webhooks in static builds), pkg-config, docker-compose, pgbouncer, openssl (the TLS tests' CA),"
	@echo "          chromium, chromium-driver, python3-selenium (the browser tests), wrk (the web bench) and fonts-wqy-microhei if missing"
	@echo "  build   deps, then swift build"
	@echo "  demo    build, then run scripts/demo.sh (tongxin db check, db info) on a throwaway server"
	@echo "  web     build, then serve the demo data with tongxin-web on http://127.0.0.1:8080 until Ctrl-C (accounts printed)"
	@echo "  test    deps, then swift build --build-tests, swift test, the browser tests (Tests/Browser/webtest.py: headless Chromium"
	@echo "          against tongxin-web), and the chaos suite (tongxin-chaos, about five minutes),"
	@echo "          both with an empty HOME and no inherited TONGXIN_*/PG* variables (scripts/clean-env)"
	@echo "  chaos   deps, swift build, then the chaos suite alone (CHAOS_FLAGS='--only worker-sigkill' for one, '--quick' for smaller sizes)"
	@echo "  bench   deps, swift build -c release --static-swift-stdlib, then tongxin-bench on a throwaway server"
	@echo "  clean   rm -rf .build"

deps:
	@missing=""; \
	pkg-config --exists libpq 2>/dev/null || missing="$$missing libpq"; \
	pkg-config --exists libcurl 2>/dev/null || missing="$$missing libcurl"; \
	pkg-config --exists libsodium 2>/dev/null || missing="$$missing libsodium"; \
	[ -x "$${TONGXIN_PG_BINDIR:-/nonexistent}/initdb" ] || compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null \
		|| missing="$$missing initdb"; \
	command -v pgbench >/dev/null 2>&1 || compgen -G '/usr/lib/postgresql/*/bin/pgbench' >/dev/null \
		|| missing="$$missing pgbench"; \
	[ -x /usr/bin/docker-compose ] || missing="$$missing docker-compose"; \
	[ -x /usr/sbin/pgbouncer ] || missing="$$missing pgbouncer"; \
	[ -x /usr/bin/openssl ] || missing="$$missing openssl"; \
	command -v python3 >/dev/null 2>&1 || missing="$$missing python3"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	[ -x /usr/bin/chromedriver ] || missing="$$missing chromium-driver"; \
	/usr/bin/python3 -c 'import selenium' 2>/dev/null || missing="$$missing python3-selenium"; \
	[ -x /usr/bin/wrk ] || missing="$$missing wrk"; \
	[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || missing="$$missing fonts-wqy-microhei"; \
	if [ -n "$$missing" ]; then \
		if ! command -v apt-get >/dev/null 2>&1; then \
			echo "make deps: missing:$$missing; install PostgreSQL 15 with libpq and pkg-config" \
				"and set TONGXIN_PG_BINDIR to its bin folder (Tongxin runs on Linux)" >&2; \
			exit 1; \
		fi; \
		echo "make deps: missing:$$missing; installing postgresql libpq-dev libcurl4-openssl-dev libsodium-dev pkg-config docker-compose pgbouncer openssl python3 chromium chromium-driver python3-selenium wrk fonts-wqy-microhei"; \
		$(SUDO) apt-get update && \
			$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql libpq-dev libcurl4-openssl-dev libsodium-dev pkg-config docker-compose pgbouncer openssl python3 \
				chromium chromium-driver python3-selenium wrk fonts-wqy-microhei; \
	fi

build: deps
	$(SWIFT) build

demo: deps
	$(SWIFT) build
	.build/debug/tongxin-devdb run -- sh scripts/demo.sh

web: deps
	$(SWIFT) build
	.build/debug/tongxin-devdb run -- sh scripts/web.sh

# The tests and the chaos suite run as on a fresh machine (scripts/clean-env: an empty HOME, no
# inherited TONGXIN_*/PG*/DATABASE_URL; TONGXIN_TEST_* still choose the test servers).
# The build stays free of warnings in our own code: any the compiler prints for Sources/ or
# Tests/ fail the target (a fresh clone, as in CI, compiles every file).
test: deps
	@mkdir -p .build
	@set -o pipefail; $(SWIFT) build --build-tests 2>&1 | tee .build/build-tests.log
	@if grep -E '(^|/)(Sources|Tests)/[^:]+:[0-9]+:[0-9]+: warning:' .build/build-tests.log; then \
		echo "make test: the build printed the warnings above; fix them (the build stays at zero)" >&2; exit 1; fi
	scripts/module-graph --check docs/architecture.md
	scripts/clean-env $(SWIFT) test --disable-xctest
	scripts/clean-env .build/debug/tongxin-devdb run -- /usr/bin/python3 Tests/Browser/webtest.py
	scripts/clean-env .build/debug/tongxin-chaos

chaos: deps
	$(SWIFT) build
	scripts/clean-env .build/debug/tongxin-chaos $(CHAOS_FLAGS)

# Every figure is printed beside its target (ok|MISS), then one line of misses;
# TONGXIN_BENCH_STRICT=1 makes a miss fail the target. The pgqueuer comparison installs pgqueuer
# into .build/bench-venv (python3 -m venv, pip); docs/benchmarks.md describes every figure.
bench: deps
	$(SWIFT) build -c release --static-swift-stdlib
	.build/release/tongxin-devdb run -- .build/release/tongxin-bench

clean:
	rm -rf .build
