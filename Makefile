# EdgeBERT on Linux: one `make` builds everything, `make check` runs every test.
#
#   make            libedgebert (static + shared), tools, tests, edgebert.ko, QEMU
#   make check      host suites (also under ASan/UBSan) + in-VM suites, one
#                   "N passed, N failed" line
#   make demo       boot the VM with the device and run the demo
#   make check-asan host suites under ASan/UBSan
#   make install    library, headers, pkg-config file, tools, man pages
#                   (PREFIX, DESTDIR); make man: the tools' pages from --help
#   make lint       checkpatch --strict and sparse on the kernel module; groff
#                   warnings of the man pages
#
# Layout: runtime/core/*.c is the OS-free compute core (also compiled into the
# QEMU device), runtime/*.c the rest of libedgebert, tools/cli/NAME.c one tool
# each, tests/{host,vm}/NAME.c one Check suite each (see tests/README.md).

BUILD      ?= build
PKG_CONFIG ?= pkg-config
CC         ?= cc
CFLAGS     ?= -O2 -g
# Debian's 6.1 headers, not the running kernel (the host may run another one).
KDIR       ?= $(lastword $(sort $(wildcard /lib/modules/6.1.*-amd64/build)))

PKGS       := libdrm libnl-genl-3.0 liburing
EB_CFLAGS  := -std=c11 -ffp-contract=off -Wall -Wextra -Werror -D_GNU_SOURCE -fPIC -pthread \
	      -Iinclude -Iruntime -Iuapi -Itests/lib -MMD -MP \
	      $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
EB_LIBS    := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -lm -pthread
CHECK_LIBS := $(shell $(PKG_CONFIG) --libs check 2>/dev/null)

CORE_SRCS  := $(sort $(wildcard runtime/core/*.c))
LIB_SRCS   := $(sort $(wildcard runtime/*.c)) $(CORE_SRCS)
TOOL_SRCS  := $(sort $(wildcard tools/cli/*.c))
HOST_TESTS := $(sort $(wildcard tests/host/*.c))
VM_TESTS   := $(sort $(wildcard tests/vm/*.c))
TESTLIB    := $(sort $(wildcard tests/lib/*.c))

LIB_OBJS   := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
TESTLIB_OBJS := $(TESTLIB:%.c=$(BUILD)/obj/%.o)
TOOLS      := $(TOOL_SRCS:tools/cli/%.c=$(BUILD)/bin/%)
TOOL_MANS  := $(TOOL_SRCS:tools/cli/%.c=$(BUILD)/man/man1/%.1)
HOST_BINS  := $(HOST_TESTS:tests/host/%.c=$(BUILD)/tests/host/%)
VM_BINS    := $(VM_TESTS:tests/vm/%.c=$(BUILD)/tests/vm/%)

LIBA       := $(BUILD)/lib/libedgebert.a
LIBSO      := $(BUILD)/lib/libedgebert.so.0
DEPS_OK    := $(BUILD)/.deps-ok
QEMU       := $(BUILD)/qemu-system-x86_64
# Host reference the device-level qtest compares the device against.
EBREF      := $(BUILD)/tests/qemu/ebref

.PHONY: all lib tools tests module qemu check check-host check-vm check-asan asan install \
	demo lint clean deps man
.DEFAULT_GOAL := all
# Keep the objects of tools and tests (make would delete them as intermediates).
.SECONDARY:

all: lib tools tests module qemu

# Installs missing Debian packages when root, else names them and stops.
$(DEPS_OK): tools/deps.sh
	@mkdir -p $(@D)
	@tools/deps.sh
	@touch $@
deps: $(DEPS_OK)

lib: $(LIBA) $(LIBSO)
tools: $(TOOLS)
man: $(TOOL_MANS)

# The tools' man pages, from their --help.
$(BUILD)/man/man1/%.1: $(BUILD)/bin/% tools/help2man.sh
	@mkdir -p $(@D)
	tools/help2man.sh $< > $@
tests: $(HOST_BINS) $(VM_BINS) $(EBREF)

$(BUILD)/obj/%.o: %.c | $(DEPS_OK)
	@mkdir -p $(@D)
	$(CC) $(EB_CFLAGS) $(CFLAGS) -c -o $@ $<

$(LIBA): $(LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && $(AR) rcs $@ $^

$(LIBSO): $(LIB_OBJS)
	@mkdir -p $(@D)
	$(CC) -shared -Wl,-soname,libedgebert.so.0 $(CFLAGS) -o $@ $^ $(EB_LIBS)
	ln -sf libedgebert.so.0 $(BUILD)/lib/libedgebert.so

PREFIX     ?= /usr/local
DESTDIR    ?=


# Tools and tests link the static library so they run anywhere (also in the VM).
# EXTRA_LIBS: per-tool libraries (OpenBLAS only for the benchmark's baseline).
$(BUILD)/bin/edgebert-bench: EXTRA_LIBS = -lopenblas
$(BUILD)/bin/%: $(BUILD)/obj/tools/cli/%.o $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(LIBA) $(EXTRA_LIBS) $(EB_LIBS)

$(BUILD)/tests/host/%: $(BUILD)/obj/tests/host/%.o $(TESTLIB_OBJS) $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(TESTLIB_OBJS) $(LIBA) $(CHECK_LIBS) $(EB_LIBS)

$(BUILD)/tests/vm/%: $(BUILD)/obj/tests/vm/%.o $(TESTLIB_OBJS) $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(TESTLIB_OBJS) $(LIBA) $(CHECK_LIBS) $(EB_LIBS)

$(EBREF): $(BUILD)/obj/tools/qemu/tests/ebref.o $(CORE_SRCS:%.c=$(BUILD)/obj/%.o)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ -lm

# Library, headers (with the uapi ones apps need for raw ioctls), tools.
install: lib tools man
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include/edgebert \
		$(DESTDIR)$(PREFIX)/bin
	install -m 644 $(LIBA) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(LIBSO) $(DESTDIR)$(PREFIX)/lib/
	ln -sf libedgebert.so.0 $(DESTDIR)$(PREFIX)/lib/libedgebert.so
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBS@|$(EB_LIBS)|' runtime/edgebert.pc.in \
		> $(DESTDIR)$(PREFIX)/lib/pkgconfig/edgebert.pc
	install -m 644 include/edgebert.h uapi/edgebert_drm.h uapi/edgebert_netlink.h uapi/edgebert_cmd.h \
		$(DESTDIR)$(PREFIX)/include/
	install -m 644 include/edgebert/*.h $(DESTDIR)$(PREFIX)/include/edgebert/
	install -m 755 $(TOOLS) $(DESTDIR)$(PREFIX)/bin/
	install -d $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man3 \
		$(DESTDIR)$(PREFIX)/share/man/man7
	install -m 644 $(TOOL_MANS) $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 man/man3/*.3 $(DESTDIR)$(PREFIX)/share/man/man3/
	install -m 644 man/man7/*.7 $(DESTDIR)$(PREFIX)/share/man/man7/

# The kernel module (top-level Kbuild). Objects land next to the sources, as
# with any M= build.
module: $(DEPS_OK)
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules

# QEMU with our device, cached outside the checkout (tools/qemu/build.sh).
qemu: $(DEPS_OK)
	@mkdir -p $(BUILD)
	tools/qemu/build.sh $(QEMU)

ASAN_BUILD := build-asan
ASAN_CFLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
	       -fno-omit-frame-pointer

check: all asan
	tests/run-all $(BUILD) $(ASAN_BUILD)

check-host: lib tests tools
	tests/run-all --host $(BUILD)

check-vm: all
	tests/run-all --vm $(BUILD)

# Library, tools and host suites under ASan and UBSan.
asan:
	$(MAKE) BUILD=$(ASAN_BUILD) CFLAGS="$(ASAN_CFLAGS)" lib tests tools

check-asan: asan
	tests/run-all --host $(ASAN_BUILD)

demo: all
	tools/demo.sh

lint: $(DEPS_OK) man
	tools/kernel-lint.sh $(KDIR)
	cd man && groff -man -ww -z -Tutf8 man3/*.3 man7/*.7 $(abspath $(TOOL_MANS))
	@echo "man pages: clean"

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean >/dev/null 2>&1

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
