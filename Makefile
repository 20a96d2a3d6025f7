# guardiand: privilege-separated hostexec daemon.
#
#   make run        build, then start guardiand on the demo configuration
#   make test       build and run the whole suite
#   make sanitize   the suite again, built with ASan+UBSan
#   make fuzz       libFuzzer on every fuzz test, FUZZTIME seconds in all
#   make bench      benchmarks
#   make stress     the attacks of the abuse tests at full size, a table
#   make install    PREFIX=/usr/local DESTDIR=
#   make static     the static hostexec for container images (make builds it
#                   too when musl is there, as it is after the dependencies)
#   make deb        a Debian package (debhelper), checked by lintian

PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/bin
SBINDIR	?= $(PREFIX)/sbin
MANDIR	?= $(PREFIX)/share/man
LIBDIR	?= $(PREFIX)/lib
DESTDIR	?=
CC	?= cc
O	?= build

# Debian packages this tree needs to build and test.
DEBS	= build-essential pkg-config libevent-dev libbsd-dev libyaml-dev \
	  libpcre2-dev libseccomp-dev libjansson-dev libcmocka-dev \
	  mandoc curl jq procps psmisc file iproute2 unicode-data musl-tools \
	  tmux strace
PKGS	= libevent libbsd-overlay yaml-0.1 libpcre2-8 libseccomp jansson
# The Unicode database: common/uniformat.h is made from it, and
# test_canon checks the canonical string against it.
UCD	= /usr/share/unicode/UnicodeData.txt

OPT	?= -O2 -g
WARN	= -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wstrict-prototypes \
	  -Wmissing-prototypes -Wno-unused-parameter
ifeq ($(FUZZ),1)
# make fuzz: clang, coverage for libFuzzer, ASan+UBSan.  clang also
# warns of libseccomp's own macros.
HARDEN	= -fsanitize=fuzzer-no-link,address,undefined \
	  -fno-omit-frame-pointer -fno-sanitize-recover=undefined \
	  -DGUARDIAND_SANITIZE
HLDFLAGS = -fsanitize=address,undefined
WARN	+= -Wno-missing-field-initializers
else ifeq ($(SAN),1)
HARDEN	= -fsanitize=address,undefined -fno-omit-frame-pointer \
	  -fno-sanitize-recover=undefined -DGUARDIAND_SANITIZE
HLDFLAGS = -fsanitize=address,undefined
else
HARDEN	= -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fstack-clash-protection
HLDFLAGS =
endif
PIE	= -fPIE
LDPIE	= -pie -Wl,-z,relro,-z,now -Wl,-z,noexecstack

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CFLAGS	+= $(OPT) $(WARN) $(HARDEN) $(PIE) -std=gnu11 -D_GNU_SOURCE \
	   -DLIBBSD_OPENBSD_VIS -Icommon -Iguardiand
LDFLAGS	+= $(LDPIE) $(HLDFLAGS)

COMMON_SRCS	= common/log.c common/imsg.c common/imsgev.c common/canon.c \
		  common/compat.c \
		  common/frame.c common/risk.c common/sha256.c \
		  common/timeutil.c
# Everything of the daemon but main() and the test hook.
GUARDIAND_SRCS	= $(filter-out guardiand/guardiand.c guardiand/testhook.c, \
		  $(wildcard guardiand/*.c))
LIB_OBJS	= $(patsubst %.c,$(O)/obj/%.o,$(COMMON_SRCS) $(GUARDIAND_SRCS))
UNIT_SRCS	= $(wildcard regress/unit/test_*.c)
UNIT_BINS	= $(patsubst regress/unit/%.c,$(O)/regress/%,$(UNIT_SRCS))
# Fuzz tests: regress/fuzz/fuzz_NAME.c, its corpus regress/fuzz/corpus/NAME.
FUZZ_NAMES	= $(patsubst regress/fuzz/fuzz_%.c,%, \
		  $(wildcard regress/fuzz/fuzz_*.c))
FUZZ_REPLAY	= $(patsubst %,$(O)/regress/fuzz/%,$(FUZZ_NAMES))
FUZZTIME	?= 600
FUZZMERGE	?= 0

WWW_FILES	= $(sort $(wildcard www/*))

PROGS	= $(O)/guardiand $(O)/hostexec $(O)/hostexec-static \
	  $(if $(wildcard guardianctl/guardianctl.c),$(O)/guardianctl)
TESTPROGS = $(O)/guardiand-test $(O)/regress/re2conf $(O)/regress/schemacheck \
	    $(O)/regress/confine-run \
	    $(UNIT_BINS) $(FUZZ_REPLAY)

.PHONY: all deps test sanitize bench stress run install static clean lint \
	screenshot deb \
	uniformat fuzz fuzz-build
.DELETE_ON_ERROR:

all: $(O)/.deps $(PROGS)

# Build dependencies: install what pkg-config cannot find (Debian),
# otherwise say what is missing.
$(O)/.deps:
	@mkdir -p $(O)
	@if ! pkg-config --exists $(PKGS) cmocka 2>/dev/null || \
	    ! command -v mandoc >/dev/null || ! command -v curl >/dev/null || \
	    ! command -v jq >/dev/null || ! command -v ip >/dev/null || \
	    ! command -v musl-gcc >/dev/null || \
	    ! command -v tmux >/dev/null || \
	    ! command -v strace >/dev/null || \
	    { [ ! -r $(UCD) ] && command -v apt-get >/dev/null; }; then \
		if command -v apt-get >/dev/null; then \
			echo "installing build dependencies: $(DEBS)"; \
			SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
			$$SUDO apt-get install -y -q $(DEBS) >/dev/null || \
			{ $$SUDO apt-get update -q >/dev/null && \
			  $$SUDO apt-get install -y -q $(DEBS) >/dev/null; } \
			|| exit 1; \
		else \
			echo "missing libraries; install the packages for:" \
			    "$(PKGS) cmocka mandoc" >&2; exit 1; \
		fi; \
	fi
	@touch $@

deps: $(O)/.deps

# Regenerate the table of hidden code points after a Unicode update.
uniformat: $(O)/.deps
	sh common/gen-unicode-format.sh $(UCD) > common/uniformat.h.tmp
	mv common/uniformat.h.tmp common/uniformat.h

$(O)/obj/%.o: %.c $(O)/.deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP -c -o $@ $<

$(O)/libguardiand.a: $(LIB_OBJS)
	rm -f $@
	ar rcs $@ $(LIB_OBJS)

# The web UI, embedded: the ui child never opens a file.
$(O)/www.c: $(WWW_FILES) guardiand/embed.sh
	@mkdir -p $(O)
	sh guardiand/embed.sh $(WWW_FILES) > $@

$(O)/www.o: $(O)/www.c $(O)/.deps
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -c -o $@ $<

# The installed daemon links the empty test hook; guardiand-test the
# real one, which lets the suite make a child break its sandbox.
$(O)/testhook-off.o: guardiand/testhook.c $(O)/.deps
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP -c -o $@ $<

$(O)/testhook-on.o: guardiand/testhook.c $(O)/.deps
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -DGUARDIAND_TESTHOOKS -MMD -MP -c -o $@ $<

$(O)/guardiand: $(O)/obj/guardiand/guardiand.o $(O)/testhook-off.o $(O)/www.o \
    $(O)/libguardiand.a
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(O)/guardiand-test: $(O)/obj/guardiand/guardiand.o $(O)/testhook-on.o \
    $(O)/www.o $(O)/libguardiand.a
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(O)/guardianctl: $(O)/obj/guardianctl/guardianctl.o \
    $(O)/obj/guardianctl/watch.o $(O)/libguardiand.a
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# hostexec links libc only.
HOSTEXEC_SRCS = hostexec/hostexec.c common/frame.c common/canon.c \
		common/timeutil.c
$(O)/hostexec: $(patsubst %.c,$(O)/obj/%.o,$(HOSTEXEC_SRCS))
	$(CC) $(LDFLAGS) -o $@ $^

# The client containers get: static (musl), so that one file works in
# any image.  Built where musl is (Debian: musl-tools, a dependency);
# elsewhere make says so and goes on with the dynamic one.
$(O)/hostexec-static: $(HOSTEXEC_SRCS) common/frame.h \
    common/canon.h common/timeutil.h $(O)/.deps
	@if command -v musl-gcc >/dev/null; then \
		echo "musl-gcc -static -o $@"; \
		musl-gcc -static -Os -Wall -Wextra -Werror -std=gnu11 \
		    -D_GNU_SOURCE -fstack-protector-strong -Icommon \
		    -o $@ $(HOSTEXEC_SRCS); \
	else \
		echo "no musl-gcc: $@ (the static client) not built"; \
	fi

static: $(O)/hostexec-static
	@test -x $(O)/hostexec-static
	@echo "$(O)/hostexec-static: static, copy it into any container image"

$(O)/regress/%: regress/unit/%.c $(O)/libguardiand.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) $(LDFLAGS) -o $@ $< \
	    $(O)/libguardiand.a $(PKG_LIBS) $(shell pkg-config --libs cmocka)

# The risk analyser (common/risk.c), under test.
$(O)/regress/test_risk: regress/unit/test_risk.c $(O)/obj/common/risk.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) $(LDFLAGS) -o $@ $< \
	    $(O)/obj/common/risk.o $(PKG_LIBS) \
	    $(shell pkg-config --libs cmocka)

$(O)/regress/re2conf: regress/conformance/re2conf.c $(O)/libguardiand.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) $(LDFLAGS) -o $@ $< \
	    $(O)/libguardiand.a $(PKG_LIBS)

# A command confined as guardiand confines it, for t-confine.
$(O)/regress/confine-run: regress/confine-run.c $(O)/libguardiand.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) $(LDFLAGS) -o $@ $< \
	    $(O)/libguardiand.a $(PKG_LIBS)

# What cloister's configuration code accepts, checked apart from
# guardiand's loader (libyaml only); a test tool, built without
# sanitizers.
$(O)/regress/schemacheck: regress/schemacheck.c $(O)/.deps
	@mkdir -p $(dir $@)
	$(CC) -O2 -g $(WARN) -std=gnu11 -D_GNU_SOURCE \
	    $(shell pkg-config --cflags yaml-0.1) -o $@ $< \
	    $(shell pkg-config --libs yaml-0.1)

# A fuzz test replayed over its corpus, for make test: the normal
# compiler and flags (ASan+UBSan under make sanitize).
$(O)/regress/fuzz/%: regress/fuzz/fuzz_%.c regress/fuzz/replay.c \
    regress/fuzz/fuzz.h $(O)/libguardiand.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -Iregress/fuzz $(LDFLAGS) -o $@ $< \
	    regress/fuzz/replay.c $(O)/libguardiand.a $(PKG_LIBS)

# The same under libFuzzer (FUZZ=1, O=build/fuzz: see fuzz below).
$(O)/fuzz_%: regress/fuzz/fuzz_%.c regress/fuzz/fuzz.h $(O)/libguardiand.a
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -Iregress/fuzz -fsanitize=fuzzer \
	    $(LDFLAGS) -o $@ $< $(O)/libguardiand.a $(PKG_LIBS)

fuzz-build: $(O)/.deps $(patsubst %,$(O)/fuzz_%,$(FUZZ_NAMES))

# Every fuzz test under libFuzzer for FUZZTIME seconds in all, one after
# the other, on a copy of its corpus (FUZZMERGE=1 merges what is new
# into the committed one).  A crash fails, naming the input.
fuzz:
	@command -v clang >/dev/null || { \
		SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		echo "installing clang"; \
		$$SUDO apt-get install -y -q clang >/dev/null || \
		{ $$SUDO apt-get update -q >/dev/null && \
		  $$SUDO apt-get install -y -q clang >/dev/null; }; }
	$(MAKE) O=build/fuzz FUZZ=1 CC=clang OPT="-O1 -g" fuzz-build
	bash regress/fuzz/fuzz.sh build/fuzz $(FUZZTIME) $(FUZZMERGE) \
	    $(FUZZ_NAMES)

# Browser tests of the approval UI: Debian's chromium driven by a
# pinned playwright-core; no browser is downloaded.
$(O)/.browser-deps: regress/browser/package.json regress/browser/package-lock.json
	@command -v chromium >/dev/null || { \
		SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get install -y -q chromium >/dev/null || \
		{ $$SUDO apt-get update -q >/dev/null && \
		  $$SUDO apt-get install -y -q chromium >/dev/null; }; }
	@command -v npm >/dev/null || { \
		SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get install -y -q nodejs npm >/dev/null; }
	cd regress/browser && npm ci --no-audit --no-fund --loglevel=error
	@mkdir -p $(O) && touch $@

# A load generator, not part of guardiand: built without sanitizers.
$(O)/regress/sse-load: regress/sse-load.c $(O)/.deps
	@mkdir -p $(dir $@)
	$(CC) -O2 -g $(WARN) -std=gnu11 -D_GNU_SOURCE -o $@ $<

# GUARDIAND_SKIP_BROWSER=1: no chromium, no npm, the browser test skipped.
test: all $(TESTPROGS) $(O)/regress/sse-load \
    $(if $(GUARDIAND_SKIP_BROWSER),,$(O)/.browser-deps)
	O=$(O) bash regress/run.sh

# Refresh the README's screenshot of the approval UI.
screenshot: all $(O)/guardiand-test $(O)/.browser-deps
	BIN=$(CURDIR)/$(O) DOC_SHOT=$(CURDIR)/doc/approval-ui.png \
	    bash regress/browser/run.sh

sanitize:
	$(MAKE) O=build/san SAN=1 OPT="-O1 -g" test

bench: all
	O=$(O) bash regress/bench.sh

# STRESS_SECONDS per attack (default 60).
stress: all $(O)/guardiand-test
	BIN=$(CURDIR)/$(O) O=$(O) TOP=$(CURDIR) bash regress/stress.sh

run: all
	bash etc/demo.sh $(O)

lint:
	mandoc -T lint -W warning guardiand/*.8 guardiand/*.5 \
	    guardianctl/*.8 hostexec/*.1

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man8
	install -m 755 $(O)/guardiand $(DESTDIR)$(SBINDIR)/guardiand
	install -m 755 $(O)/guardianctl $(DESTDIR)$(SBINDIR)/guardianctl
	install -m 755 $(O)/hostexec $(DESTDIR)$(BINDIR)/hostexec
	# The static client, for containers to mount (hostexec(1)).
	[ ! -x $(O)/hostexec-static ] || install -D -m 755 \
	    $(O)/hostexec-static $(DESTDIR)$(LIBDIR)/guardiand/hostexec
	for m in guardiand/*.8 guardianctl/*.8; do [ -f "$$m" ] && \
	    install -m 644 $$m $(DESTDIR)$(MANDIR)/man8/; done; true
	for m in guardiand/*.5; do [ -f "$$m" ] && \
	    install -m 644 $$m $(DESTDIR)$(MANDIR)/man5/; done; true
	for m in hostexec/*.1; do [ -f "$$m" ] && \
	    install -m 644 $$m $(DESTDIR)$(MANDIR)/man1/; done; true

# The Debian package, built by debhelper from a copy of the tree in
# $(O)/deb (dpkg-buildpackage writes beside the source), then checked
# by lintian: an error fails.
DEBTOOLS = debhelper lintian fakeroot dpkg-dev musl-tools
deb:
	@command -v dh >/dev/null && command -v lintian >/dev/null && \
	    command -v musl-gcc >/dev/null && command -v fakeroot >/dev/null || { \
		SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		echo "installing packaging tools: $(DEBTOOLS)"; \
		$$SUDO apt-get install -y -q $(DEBTOOLS) >/dev/null || \
		{ $$SUDO apt-get update -q >/dev/null && \
		  $$SUDO apt-get install -y -q $(DEBTOOLS) >/dev/null; }; }
	rm -rf $(O)/deb
	mkdir -p $(O)/deb/guardiand
	tar --exclude=./build --exclude=./.git --exclude=node_modules \
	    --exclude='./$(O)' -cf - . | tar -C $(O)/deb/guardiand -xf -
	cd $(O)/deb/guardiand && DEB_BUILD_OPTIONS=parallel=2 \
	    dpkg-buildpackage -b -us -uc >../build.log 2>&1 || \
	    { tail -n 30 ../build.log; exit 1; }
	lintian --fail-on error --suppress-tags bad-distribution-in-changes-file \
	    $(O)/deb/guardiand_*.deb
	@ls $(O)/deb/*.deb

clean:
	rm -rf build

-include $(shell find $(O) -name '*.d' 2>/dev/null)
