# textclf: every target that needs the system libraries runs `setup` first, so each of
# `make test` and `make demo` is one command on a fresh Debian machine.
SHELL := /bin/bash
APT_PACKAGES := libarchive-dev libopenblas-dev
CONFIG ?= release
SWIFT_FLAGS := -c $(CONFIG)
BIN := .build/$(CONFIG)/textclf

# The shared mirror beside the checkout stands in for the download sites (see README).
SHARED_MIRROR := $(abspath $(CURDIR)/../shared/mirror)
ifneq ($(wildcard $(SHARED_MIRROR)),)
export TEXTCLF_MIRROR ?= $(SHARED_MIRROR)
endif

.PHONY: setup build test demo bench clean

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

build: setup
	swift build $(SWIFT_FLAGS) --product textclf

# The suite is XCTest; without Swift Testing's empty run the last line is XCTest's count.
test: setup
	swift test $(SWIFT_FLAGS) --disable-swift-testing

demo: build
	$(BIN) finetune --task spam

# Every benchmark in turn (each runs its anchor in the same invocation where one exists).
# `textclf bench load --model DIR` is not in the list: it needs a GPT-2 checkpoint directory.
BENCHES ?= gemm read tokenize wordpiece data sha256 kernels forward generate bert finetune-spam
bench: build
	@for b in $(BENCHES); do echo "== textclf bench $$b"; $(BIN) bench $$b || exit 1; done

clean:
	rm -rf .build
