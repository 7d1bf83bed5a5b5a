# textclf: every target that needs the system libraries runs `setup` first, so each of
# `make test` and `make demo` is one command on a fresh Debian machine.
SHELL := /bin/bash
APT_PACKAGES := libarchive-dev libopenblas-dev libdnnl-dev
# Scale-out (README, Scale-out) and its cross-namespace test.
APT_PACKAGES += libopenmpi-dev openmpi-bin iproute2
CONFIG ?= release
SWIFT_FLAGS := -c $(CONFIG)
BIN := .build/$(CONFIG)/textclf

# The shared mirror beside the checkout stands in for the download sites (see README).
SHARED_MIRROR := $(abspath $(CURDIR)/../shared/mirror)
ifneq ($(wildcard $(SHARED_MIRROR)),)
export TEXTCLF_MIRROR ?= $(SHARED_MIRROR)
endif

.PHONY: setup test-setup build test demo bench clean fuzz fuzz-build fuzz-serve

# Idempotent: installs only the packages that are missing, and does nothing otherwise.
setup:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  sudo=""; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
	  echo "setup: installing$$missing"; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$missing; \
	fi

# Python packages of the test suite's ONNX parity check (scripts/check_onnx_export.py, run by
# CLITests.ExportTests). Installed only when missing; where pip cannot get them the check skips,
# except under CI=true, where it fails.
PIP_PACKAGES := onnxruntime onnx numpy
test-setup: setup
	@python3 -c "import onnxruntime, onnx, numpy" 2>/dev/null || { \
	  sudo=""; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
	  python3 -m pip --version >/dev/null 2>&1 || { echo "setup: installing python3 python3-pip"; \
	    $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq python3 python3-pip; }; \
	  echo "setup: pip install $(PIP_PACKAGES)"; \
	  python3 -m pip install -q $(PIP_PACKAGES) || python3 -m pip install -q --break-system-packages $(PIP_PACKAGES) \
	    || echo "setup: could not install $(PIP_PACKAGES): the ONNX export checks will skip (and fail under CI=true)"; }

build: setup
	swift build $(SWIFT_FLAGS) --product textclf

# The suite is XCTest; without Swift Testing's empty run the last line is XCTest's count.
test: test-setup
	swift test $(SWIFT_FLAGS) --disable-swift-testing

demo: build
	$(BIN) finetune --task spam

# Every benchmark in turn (each runs its anchor in the same invocation where one exists).
# `textclf bench load --model DIR` is not in the list: it needs a GPT-2 checkpoint directory.
BENCHES ?= gemm read tokenize wordpiece data sha256 kernels forward generate bert finetune-spam
bench: build
	@for b in $(BENCHES); do echo "== textclf bench $$b"; $(BIN) bench $$b || exit 1; done

# libFuzzer targets (Fuzz/, a package of its own, so `swift build`/`make test` never build them).
# The toolchain's own libFuzzer and AddressSanitizer are used; -Xswiftc -O comes after the modules'
# -Ounchecked and wins, so bounds and overflow checks stay on, and -assert-config Debug adds the
# checks -O leaves out (UnsafeBufferPointer subscripts); Fuzz/check_build.py verifies both.
FUZZ_SCRATCH := .build-fuzz
FUZZ_SECONDS ?= 120
FUZZ_BUILD_FLAGS := -c debug --scratch-path ../$(FUZZ_SCRATCH) --sanitize fuzzer -Xswiftc -sanitize=fuzzer,address \
  -Xswiftc -O -Xswiftc -assert-config -Xswiftc Debug

fuzz-build: setup
	@command -v python3 >/dev/null || { sudo=""; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq python3; }
	set -o pipefail; cd Fuzz && swift build $(FUZZ_BUILD_FLAGS) 2>&1 | { grep -v "Cannot export local symbol" || true; }
	python3 Fuzz/check_build.py $(FUZZ_SCRATCH)/debug/description.json

# Each target for FUZZ_SECONDS (FUZZ_RUNS=N stops at N executions; FUZZ_TARGETS picks targets).
fuzz: fuzz-build
	FUZZ_BIN=$(FUZZ_SCRATCH)/debug FUZZ_WORK=$(FUZZ_SCRATCH)/work FUZZ_SECONDS=$(FUZZ_SECONDS) \
	  FUZZ_RUNS="$(FUZZ_RUNS)" FUZZ_TARGETS="$(FUZZ_TARGETS)" Fuzz/run.sh

# schemathesis against `textclf serve`'s /openapi.json (pip install schemathesis); not in `test`.
fuzz-serve: build
	scripts/fuzz_serve.sh

clean:
	rm -rf .build
