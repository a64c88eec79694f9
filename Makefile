# SPDX-License-Identifier: GPL-2.0
#
# AF_TOY top-level Makefile.  `make help` lists the targets.
#
# The kernel module is built with Kbuild (file Kbuild) in an object tree
# of its own per kernel, build/obj-stock or build/obj-debug, made of
# symlinks to the sources, so the two kernels never clobber each other and
# the source tree stays clean.

SHELL := /bin/bash
TOP := $(CURDIR)
B := $(TOP)/build

# KDIR: the kernel build tree to build against.  Default: the Debian
# headers whose ABI matches the test VM's kernel (linux-headers-amd64);
# resolved after scripts/setup has run, hence the deferred '='.
KDIR_DEFAULT = $(shell . scripts/lib.sh && echo /usr/src/linux-headers-$$(toy_abi))
KDIR_STOCK = $(or $(KDIR),$(KDIR_DEFAULT))
KDIR_DEBUG = $(shell scripts/build-debug-kernel)/linux

KSFT_DIR := $(B)/linux-src/tools/testing/selftests
CHECKPATCH := $(B)/linux-src/scripts/checkpatch.pl
KERNEL_DOC := $(B)/linux-src/scripts/kernel-doc
KDOC_FILES := $(wildcard module/*.c module/*.h)
# toy_trace.h is TRACE_EVENT() macro text, which checkpatch reads as C
# and flags on every line, as it does the kernel's include/trace/events.
STYLE_FILES := $(filter-out module/toy_trace.h, \
	$(wildcard module/*.c module/*.h module/kunit/*.c)) \
	uapi/linux/toy.h uapi/linux/toy_diag.h

# $(call kbuild,OBJDIR,KDIR[,EXTRA]): make the symlink tree, run Kbuild.
define kbuild
	@mkdir -p $(1)/module/kunit $(1)/uapi
	@find $(1)/module -xtype l -delete
	@ln -sfn $(TOP)/uapi/linux $(1)/uapi/linux
	@ln -sf $(TOP)/Kbuild $(1)/Kbuild
	@for f in module/*.[ch] module/kunit/*.c; do ln -sf $(TOP)/$$f $(1)/$$f; done
	$(MAKE) -C $(2) M=$(1) $(3) modules
endef

.PHONY: all help setup module module-debug tools selftests check \
	check-debug check-runner fuzz bench style sparse demo tour shell clean \
	distclean

all: module tools

help:
	@echo "make              build build/toy.ko (and tools/) for the test VM's kernel"
	@echo "make KDIR=/lib/modules/\$$(uname -r)/build   build for this machine's kernel"
	@echo "make check        set up, build, run the whole suite in the VM (stock kernel)"
	@echo "make check-debug  the same on a KASAN + lockdep + kmemleak kernel"
	@echo "make demo         boot the VM and watch AF_TOY at work (the short version)"
	@echo "make tour         the ideas of transport addressing, 14 chapters shown live"
	@echo "                  in the VM, and as a page with pictures: build/tour/index.html"
	@echo "make shell        an interactive shell in the VM, module loaded"
	@echo "make fuzz         the fuzzing, race and load lanes, long (FUZZ_TIME=1800"
	@echo "                  seconds, FUZZ_SEED= replays a run, KERNEL=debug, LANES=)"
	@echo "make bench        AF_TOY against TCP/UDP in the VM, a table and a chart"
	@echo "                  (build/bench/latest.txt, ratios.png; about 8 minutes)"
	@echo "make style        checkpatch --strict on module/ and uapi/, kernel-doc"
	@echo "make sparse       sparse (C=2) on module/"
	@echo "make clean        remove build/ (the debug kernel cache stays)"

setup:
	@scripts/setup

module: setup
	$(call kbuild,$(B)/obj-stock,$(KDIR_STOCK))
	@cp $(B)/obj-stock/toy.ko $(B)/toy.ko
	@echo "built $(B)/toy.ko for $(KDIR_STOCK)"

module-debug: setup
	$(call kbuild,$(B)/obj-debug,$(KDIR_DEBUG))
	@mkdir -p $(B)/debug
	@cp $(B)/obj-debug/toy.ko $(B)/debug/toy.ko

tools: setup
	@$(MAKE) -s -C tools OUTPUT=$(B)/tools/

selftests: setup
	@$(MAKE) -s -C selftests OUTPUT=$(B)/selftests/ KSFT_DIR=$(KSFT_DIR)

# The VM runner's own tests: a failing command, a WARN, a panic and a hang
# must all turn a run red.  Runs before the suite: a runner that cannot
# fail proves nothing.
# $(call splat,OBJDIR,KDIR): build the test-only toy_splat.ko.
define splat
	@mkdir -p $(1)
	@ln -sf $(TOP)/selftests/vm/Kbuild $(TOP)/selftests/vm/toy_splat.c $(1)/
	$(MAKE) -s -C $(2) M=$(1) modules
endef

check-runner: module tools selftests
	$(call splat,$(B)/obj-splat,$(KDIR_STOCK))
	selftests/vm/runner_test.sh

# The suite in two VMs side by side (scripts/suite); its toy_tour.sh
# writes the tour's page, which a real browser then loads.
check: module tools selftests check-runner
	scripts/suite
	scripts/tour/browser-check $(B)/tour

check-debug: module-debug tools selftests
	$(call splat,$(B)/obj-splat-debug,$(KDIR_DEBUG))
	selftests/vm/runner_test.sh --debug
	# 5000 TIME_WAIT entries instead of 100000: each takes 35 ms here.
	# Three VMs, as make check: about an hour on two cores.
	TOY_TW_ENTRIES=5000 scripts/suite --kernel debug

# The lanes, long: a new seed each run unless FUZZ_SEED says.
FUZZ_TIME ?= 1800
KERNEL ?= stock
fuzz: $(if $(filter debug,$(KERNEL)),module-debug,module) tools selftests
	scripts/fuzz --kernel $(KERNEL) --time $(FUZZ_TIME) \
		$(if $(FUZZ_SEED),--seed $(FUZZ_SEED)) $(LANES)

# AF_TOY against TCP/UDP, side by side (scripts/bench); not part of check.
bench: module tools
	scripts/bench

style: setup
	@out=$$(perl $(CHECKPATCH) --no-tree --strict --terse --show-types \
		-f $(STYLE_FILES) | grep -E 'ERROR|WARNING|CHECK'); \
	if [ -n "$$out" ]; then echo "$$out"; exit 1; fi; \
	echo "checkpatch --strict: clean ($(words $(STYLE_FILES)) files)"
	@scripts/kdoc-check module
	@out=$$(perl $(KERNEL_DOC) -none -v $(KDOC_FILES) 2>&1 | \
		grep -v ': info: Scanning doc for '); \
	if [ -n "$$out" ]; then echo "$$out"; exit 1; fi; \
	echo "kernel-doc: every shared struct and function, clean"

sparse: setup
	@$(call kbuild,$(B)/obj-stock,$(KDIR_STOCK),C=2 CHECK=sparse) 2>&1 | tee $(B)/sparse.log
	@if grep -E '(warning|error):' $(B)/sparse.log; then \
		echo "sparse: not clean"; exit 1; fi; echo "sparse: clean"

demo: module tools
	scripts/vm-run -- scripts/demo.sh

# The tour: every chapter in the VM, then the page in a browser.
tour: module tools
	scripts/vm-run -- scripts/tour/tour.sh $(B)/tour
	scripts/tour/browser-check $(B)/tour

shell: module tools
	scripts/vm-run

clean:
	rm -rf $(B)
