# esmtp-milter: make, make check, make run, make install, make bench.
# make only builds, with the flags pkg-config gives, and names a missing
# library with the apt-get line that brings it. Installing packages is
# make deps (as root; otherwise it prints the apt-get line), which make
# run and make check call first.

PREFIX    ?= /usr/local
DESTDIR   ?=
SBINDIR   ?= $(PREFIX)/sbin
BINDIR    ?= $(PREFIX)/bin
MANDIR    ?= $(PREFIX)/share/man
DOCDIR    ?= $(PREFIX)/share/doc/esmtp-milter
UNITDIR   ?= $(PREFIX)/lib/systemd/system
VERSION   := 0.1.0

CC        ?= cc
WARN      := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes
HARDEN    := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
CFLAGS    ?= -O2 -g
BASE_CFLAGS = -std=gnu11 -D_GNU_SOURCE $(WARN) $(CFLAGS) \
             -DESMTP_MILTER_VERSION='"$(VERSION)"' -pthread -MMD -MP
ALL_LDFLAGS = -pie -Wl,-z,relro,-z,now -pthread $(LDFLAGS)
SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
             -fno-omit-frame-pointer
TSAN_FLAGS := -O1 -g -fsanitize=thread
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined \
               -fno-sanitize-recover=undefined

# The layers, one folder each: milter/core is the session engine (GLib and
# json-glib only), milter/daemon the adapters around it (libmilter,
# HTTP, state file, logging, process state, main), milter/report the
# esmtp-milter-stats tool. Each layer sees its own headers and the
# core's; include/layering turns <libmilter/mfapi.h>, <microhttpd.h> and
# <curl/curl.h> into a compile error in the core (make layering).
CORE_PKGS   := glib-2.0 json-glib-1.0
DAEMON_PKGS := $(CORE_PKGS) libmicrohttpd milter yaml-0.1 gnutls libcrypt
REPORT_PKGS := $(CORE_PKGS) libcurl
TEST_PKGS   := check $(DAEMON_PKGS)
pc_cflags    = $(shell pkg-config --cflags $(1) 2>/dev/null)
pc_libs      = $(shell pkg-config --libs $(1) 2>/dev/null)
CORE_CFLAGS   = -Iinclude/layering -Iinclude/core $(call pc_cflags,$(CORE_PKGS))
DAEMON_CFLAGS = -Iinclude/core -Iinclude/daemon -Iinclude/report \
                $(call pc_cflags,$(DAEMON_PKGS))
REPORT_CFLAGS = -Iinclude/core -Iinclude/report $(call pc_cflags,$(REPORT_PKGS))
TEST_CFLAGS   = -Iinclude/core -Iinclude/daemon -Iinclude/report \
                $(call pc_cflags,$(TEST_PKGS))
# the core's estimate of distinct clients takes a logarithm (libm)
DAEMON_LIBS   = $(call pc_libs,$(DAEMON_PKGS)) -lm
REPORT_LIBS   = $(call pc_libs,$(REPORT_PKGS)) -lm
UNIT_LIBS     = $(call pc_libs,check $(CORE_PKGS)) -lm

CORE_SRC   := $(sort $(wildcard milter/core/*.c))
DAEMON_SRC := $(sort $(wildcard milter/daemon/*.c))
REPORT_SRC := $(sort $(wildcard milter/report/*.c))
# the report's renderers, which the daemon's page at / uses too
REPORT_LIB_SRC := $(filter-out milter/report/stats_main.c,$(REPORT_SRC))
UNIT_SRC   := $(wildcard tests/unit/*.c)

# The core is compiled once per build variant into a static library,
# build/VARIANT/libcore.a, that everything of that variant links: plain
# (build/libcore.a: the daemon, the report tool, the unit tests, the
# parser benchmark), san (AddressSanitizer and UBSan: the daemon under
# test, the sanitizer unit tests, the seed replay), tsan (the stress
# test) and fuzz (clang's libFuzzer). One object rule per variant, with
# the same warnings and the core's own flags.
BUILD     := build
CORE_OBJ   := $(CORE_SRC:%.c=$(BUILD)/%.o)
CORE_LIB   := $(BUILD)/libcore.a
DAEMON_OBJ := $(DAEMON_SRC:%.c=$(BUILD)/%.o) \
              $(REPORT_LIB_SRC:%.c=$(BUILD)/%.o) $(CORE_LIB)
REPORT_OBJ := $(REPORT_SRC:%.c=$(BUILD)/%.o) $(CORE_LIB)
SAN_CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/san/%.o)
SAN_CORE_LIB := $(BUILD)/san/libcore.a
SAN_DAEMON_OBJ := $(DAEMON_SRC:%.c=$(BUILD)/san/%.o) \
              $(REPORT_LIB_SRC:%.c=$(BUILD)/san/%.o) $(SAN_CORE_LIB)
TSAN_CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/tsan/%.o)
FUZZ_CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/fuzz/%.o)
# the unit tests link the core, the state file and the report writer
UNIT_EXTRA := milter/daemon/stats_state.c $(REPORT_LIB_SRC) \
              tests/fuzz/stats_roundtrip.c
UNIT_OBJ  := $(UNIT_SRC:%.c=$(BUILD)/%.o) $(UNIT_EXTRA:%.c=$(BUILD)/%.o) \
             $(CORE_LIB)
SAN_UNIT_OBJ := $(UNIT_SRC:%.c=$(BUILD)/san/%.o) \
             $(UNIT_EXTRA:%.c=$(BUILD)/san/%.o) $(SAN_CORE_LIB)

# Each object is compiled with its layer's flags; anything else (tests,
# fuzz targets, the benchmark filter) sees every layer.
LAYER_CFLAGS = $(TEST_CFLAGS)
$(BUILD)/milter/core/%.o $(BUILD)/san/milter/core/%.o \
  $(BUILD)/tsan/milter/core/%.o $(BUILD)/fuzz/milter/core/%.o: LAYER_CFLAGS = $(CORE_CFLAGS)
$(BUILD)/milter/daemon/%.o $(BUILD)/san/milter/daemon/%.o \
  $(BUILD)/fuzz/milter/daemon/%.o: LAYER_CFLAGS = $(DAEMON_CFLAGS)
$(BUILD)/milter/report/%.o $(BUILD)/san/milter/report/%.o \
  $(BUILD)/fuzz/milter/report/%.o: LAYER_CFLAGS = $(REPORT_CFLAGS)

# pkg-config module -> the Debian package that ships its .pc file
PC_DEBS := glib-2.0:libglib2.0-dev json-glib-1.0:libjson-glib-dev \
           libmicrohttpd:libmicrohttpd-dev milter:libmilter-dev \
           libcurl:libcurl4-openssl-dev check:check yaml-0.1:libyaml-dev \
           gnutls:libgnutls28-dev libcrypt:libcrypt-dev

# Stops with the missing .pc files and the apt-get line for them.
define need_pc
	@missing=""; debs=""; for p in $(1); do \
	  pkg-config --exists $$p 2>/dev/null && continue; \
	  missing="$$missing $$p.pc"; \
	  for m in $(PC_DEBS); do \
	    [ "$${m%%:*}" = "$$p" ] && debs="$$debs $${m#*:}"; done; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "pkg-config finds no$$missing"; \
	  echo "on Debian, as root: apt-get install pkg-config$$debs (or: make deps)"; \
	  exit 1; \
	fi
endef

BUILD_DEBS := gcc make pkg-config libc6-dev libmilter-dev libglib2.0-dev \
              libjson-glib-dev libmicrohttpd-dev libcurl4-openssl-dev \
              libyaml-dev libgnutls28-dev libcrypt-dev
CHECK_DEBS := check miltertest libtsan2 lintian dpkg-dev python3 curl \
              chromium tidy \
              clang libclang-rt-dev \
              python3-prometheus-client \
              libsasl2-modules sasl2-bin groff-base man-db
# postfix is installed with debconf's "No configuration": no system
# instance is set up or started; the tests run a private one.
E2E_DEBS   := postfix openssl
# the deployment test: users, namespaces, the loopback interface; the
# shared filter host's sample firewall (checked with nft -c)
DEPLOY_DEBS := adduser util-linux iproute2 nftables

# Installs what is missing as root, or prints the exact command and stops.
define need_debs
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' \
	    || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y -qq --no-install-recommends $$missing >/dev/null \
	      || exit 1; \
	  else \
	    echo "missing Debian packages; as root run:"; \
	    echo "  apt-get install$$missing"; exit 1; \
	  fi; \
	fi
endef

.PHONY: help all deps deps-check check unit unit-san milter-tests cli-tests page-tests \
        install-tests stats-tests e2e-tests deploy-tests fuzz-replay fuzz-run fuzz run \
        tsan-tests prometheus-tests deb deb-tests \
        demo bench mutants mutants-check layering doc-tests check-other-release \
        install uninstall clean

all:
	$(call need_pc,$(sort $(DAEMON_PKGS) $(REPORT_PKGS)))
	@$(MAKE) --no-print-directory esmtp-milter esmtp-milter-stats

# The targets a developer uses, the fast ones first.
help:
	@echo "make                  build esmtp-milter and esmtp-milter-stats"
	@echo "make unit             the unit tests (Check), seconds"
	@echo "make unit-san         the same under AddressSanitizer and UBSan"
	@echo "make milter-tests     the protocol scripts (miltertest, raw milter)"
	@echo "make cli-tests        the command line; stats-tests, page-tests, prometheus-tests"
	@echo "make layering doc-tests mutants-check   structure, docs and the mutant list"
	@echo "make e2e-tests        real Postfix and Sendmail (root); deploy-tests, deb-tests"
	@echo "make check            everything above, installing what it needs (root)"
	@echo "make check-other-release   make check in a fresh root of the other Debian release"
	@echo "make run              build and run in the foreground on the defaults"
	@echo "make fuzz | bench | mutants | demo   the long runs"
	@echo "make install | uninstall | deb | clean"

deps:
	$(call need_debs,$(BUILD_DEBS))

deps-check: deps
	$(call need_debs,$(CHECK_DEBS))
	@if [ "$$(id -u)" = 0 ] && ! dpkg-query -W -f='$${Status}' postfix 2>/dev/null \
	    | grep -q 'ok installed'; then \
	  echo "postfix postfix/main_mailer_type select No configuration" \
	    | debconf-set-selections; \
	fi
	$(call need_debs,$(E2E_DEBS) $(DEPLOY_DEBS))

esmtp-milter: $(DAEMON_OBJ)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(DAEMON_LIBS)

esmtp-milter-stats: $(REPORT_OBJ)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(REPORT_LIBS)

$(BUILD)/san/esmtp-milter: $(SAN_DAEMON_OBJ)
	$(CC) $(SAN_FLAGS) -pthread -o $@ $^ $(DAEMON_LIBS)

# every object also depends on this Makefile: new flags rebuild everything
$(BUILD)/%.o: %.c Makefile
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(LAYER_CFLAGS) $(HARDEN) -c -o $@ $<

$(BUILD)/san/%.o: %.c Makefile
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(LAYER_CFLAGS) $(SAN_FLAGS) -c -o $@ $<

$(BUILD)/tsan/%.o: %.c Makefile
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(LAYER_CFLAGS) $(TSAN_FLAGS) -c -o $@ $<

$(BUILD)/fuzz/%.o: %.c Makefile
	@mkdir -p $(dir $@)
	clang $(BASE_CFLAGS) $(LAYER_CFLAGS) $(FUZZ_CFLAGS) -c -o $@ $<

$(CORE_LIB): $(CORE_OBJ)
$(SAN_CORE_LIB): $(SAN_CORE_OBJ)
$(BUILD)/tsan/libcore.a: $(TSAN_CORE_OBJ)
$(BUILD)/fuzz/libcore.a: $(FUZZ_CORE_OBJ)
$(CORE_LIB) $(SAN_CORE_LIB) $(BUILD)/tsan/libcore.a $(BUILD)/fuzz/libcore.a:
	@rm -f $@
	ar rcs $@ $^

# header dependencies written by the compiler (-MMD -MP)
-include $(shell find $(BUILD)/milter $(BUILD)/tests $(BUILD)/san $(BUILD)/tsan $(BUILD)/fuzz -name '*.d' -type f 2>/dev/null)

# The core may use GLib and json-glib only: each header of another
# layer or library must fail to compile with the core's flags.
layering: $(DAEMON_OBJ) $(REPORT_OBJ)
	@$(PYTHON) tests/structure.py $(CORE_OBJ) $(DAEMON_SRC:%.c=$(BUILD)/%.o) $(REPORT_LIB_SRC:%.c=$(BUILD)/%.o) \
	  -- $(CORE_SRC) $(DAEMON_SRC) $(REPORT_SRC) -- $(wildcard include/core/*.h include/daemon/*.h include/report/*.h)
	@$(PYTHON) tests/structure.py $(CORE_OBJ) $(REPORT_SRC:%.c=$(BUILD)/%.o) \
	  -- -- $(wildcard include/core/*.h include/report/*.h)
	@for h in '<libmilter/mfapi.h>' '<microhttpd.h>' '<curl/curl.h>' \
	    '<yaml.h>' '<gnutls/gnutls.h>' '<crypt.h>' \
	    '"milter.h"' '"stats_http.h"' '"log.h"' '"report.h"'; do \
	  if echo "#include $$h" | $(CC) -std=gnu11 $(CORE_CFLAGS) -x c \
	      -fsyntax-only - 2>/dev/null; then \
	    echo "layering: the core can include $$h"; exit 1; fi; \
	done
	@for f in $(CORE_SRC); do \
	  $(CC) -std=gnu11 -D_GNU_SOURCE $(WARN) $(CORE_CFLAGS) -fsyntax-only $$f \
	    || exit 1; done
	@# parse once: a keyword's identity comes from its registry row
	@if grep -rn '"SIZE"\|"BODY"\|"RET"' milter/ | grep -v '^milter/core/registry.c:'; then \
	  echo "layering: keywords spelled outside the registry (above)"; exit 1; fi
	@echo "layering: the core builds with GLib and json-glib alone, no other layer's header reaches it, and keywords are spelled only in the registry"

$(BUILD)/check_unit: $(UNIT_OBJ)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(UNIT_LIBS)

$(BUILD)/san/check_unit: $(SAN_UNIT_OBJ)
	$(CC) $(SAN_FLAGS) -pthread -o $@ $^ $(UNIT_LIBS)

check: deps-check
	@# the bench's programs are built too, so that they do not rot
	@$(MAKE) --no-print-directory esmtp-milter esmtp-milter-stats \
	  $(BUILD)/null_filter $(BUILD)/null_policy $(BUILD)/milterload \
	  $(BUILD)/parse_bench layering mutants-check \
	  doc-tests unit unit-san tsan-tests fuzz-replay fuzz-run milter-tests \
	  cli-tests install-tests stats-tests page-tests prometheus-tests deb-tests \
	  deploy-tests e2e-tests

unit: $(BUILD)/check_unit
	CK_FORK=yes $(BUILD)/check_unit

unit-san: $(BUILD)/san/check_unit
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	CK_FORK=no $(BUILD)/san/check_unit

# The core under threads (tests/stress): sessions, the policy service,
# reloads and the exporters at once, under ThreadSanitizer.
$(BUILD)/tsan/stress: $(BUILD)/tsan/tests/stress/stress.o $(BUILD)/tsan/libcore.a
	$(CC) $(TSAN_FLAGS) -pthread -o $@ $^ $(call pc_libs,$(CORE_PKGS)) -lm

tsan-tests: $(BUILD)/tsan/stress
	@# GSlice recycles memory behind futexes ThreadSanitizer cannot see
	G_SLICE=always-malloc TSAN_OPTIONS="halt_on_error=1 exitcode=66" \
	  $(BUILD)/tsan/stress

# Fuzz targets (tests/fuzz): make check replays their seed corpora under
# the sanitizers with gcc (an input running over 10 s fails as a hang),
# then runs libFuzzer (clang) on each for FUZZ_SECONDS; make fuzz runs
# each for FUZZ_RUNS executions (10 million; about an hour for the three
# on one core, tests/README). Both start from a copy of the seeds under
# build/fuzz, stop an input after FUZZ_TIMEOUT seconds (a hang is a
# finding, not a wait for libFuzzer's default 20 minutes), and print the
# path of any input that crashed, leaked or hung.
FUZZ_TARGETS := session config policy stats statsjson webconfig
FUZZ_RUNS ?= 10000000
FUZZ_SECONDS ?= 30
FUZZ_TIMEOUT := 5

# stats: the statistics' round trip, shared with the unit tests;
# statsjson: the JSON reader, as the daemon and the report tool use it
# (the report's renderers included); webconfig: [stats] web_config's
# reader, from the daemon's layer, with libyaml, GnuTLS and libcrypt
$(BUILD)/san/fuzz_stats: $(BUILD)/san/tests/fuzz/stats_roundtrip.o
$(BUILD)/fuzz/fuzz_stats: $(BUILD)/fuzz/tests/fuzz/stats_roundtrip.o
$(BUILD)/san/fuzz_statsjson: $(REPORT_LIB_SRC:%.c=$(BUILD)/san/%.o)
$(BUILD)/fuzz/fuzz_statsjson: $(REPORT_LIB_SRC:%.c=$(BUILD)/fuzz/%.o)
$(BUILD)/san/fuzz_webconfig: $(BUILD)/san/milter/daemon/web_config.o
$(BUILD)/fuzz/fuzz_webconfig: $(BUILD)/fuzz/milter/daemon/web_config.o
FUZZ_LIBS = $(UNIT_LIBS) $(call pc_libs,yaml-0.1 gnutls libcrypt)

$(BUILD)/san/fuzz_%: $(BUILD)/san/tests/fuzz/fuzz_%.o \
    $(BUILD)/san/tests/fuzz/replay.o $(SAN_CORE_LIB)
	$(CC) $(SAN_FLAGS) -pthread -o $@ $(filter %.o,$^) $(filter %.a,$^) $(FUZZ_LIBS)

fuzz-replay: $(FUZZ_TARGETS:%=$(BUILD)/san/fuzz_%)
	@for t in $(FUZZ_TARGETS); do \
	  echo "fuzz-replay: $$t"; \
	  ASAN_OPTIONS=detect_leaks=1 $(BUILD)/san/fuzz_$$t tests/fuzz/corpus/$$t/* \
	    || exit 1; \
	done

$(BUILD)/fuzz/fuzz_%: $(BUILD)/fuzz/tests/fuzz/fuzz_%.o $(BUILD)/fuzz/libcore.a
	clang $(FUZZ_CFLAGS) -o $@ $(filter %.o,$^) $(filter %.a,$^) $(FUZZ_LIBS)

# $(1): the libFuzzer option that ends each target's run
define run_fuzzers
	@for t in $(FUZZ_TARGETS); do \
	  d=$(BUILD)/fuzz; mkdir -p $$d/corpus_$$t $$d/findings; \
	  cp tests/fuzz/corpus/$$t/* $$d/corpus_$$t/; \
	  echo "fuzz: $$t, $(1), -timeout=$(FUZZ_TIMEOUT)"; \
	  if ! $$d/fuzz_$$t $(1) -timeout=$(FUZZ_TIMEOUT) -max_len=65536 \
	      -artifact_prefix=$$d/findings/$$t- $$d/corpus_$$t \
	      > $$d/$$t.log 2>&1; then \
	    tail -n 60 $$d/$$t.log; \
	    echo "fuzz: $$t found a problem; the input:" \
	      $$(ls -t $$d/findings/$$t-* 2>/dev/null | head -n 1); \
	    echo "fuzz: replay it with $$d/fuzz_$$t FILE; keep it as a seed in tests/fuzz/corpus/$$t once fixed"; \
	    exit 1; \
	  fi; \
	  grep -E '^(#[0-9]+[[:space:]]+DONE|Done [0-9]+ runs)' $$d/$$t.log | tail -n 2; \
	done
endef

fuzz-run: $(FUZZ_TARGETS:%=$(BUILD)/fuzz/fuzz_%)
	$(call run_fuzzers,-max_total_time=$(FUZZ_SECONDS))

fuzz: deps
	$(call need_debs,clang libclang-rt-dev)
	@$(MAKE) --no-print-directory $(FUZZ_TARGETS:%=$(BUILD)/fuzz/fuzz_%)
	$(call run_fuzzers,-runs=$(FUZZ_RUNS))

milter-tests: $(BUILD)/san/esmtp-milter
	PYTHON=$(PYTHON) tests/milter/run.sh $(BUILD)/san/esmtp-milter

# The README's and esmtp-milter(8)'s rule tables against esmtp-milter -T.
doc-tests: esmtp-milter
	$(PYTHON) tests/docs.py ./esmtp-milter $(CURDIR)

cli-tests: $(BUILD)/san/esmtp-milter
	tests/cli.sh $(BUILD)/san/esmtp-milter

# A private Postfix, the daemon, a few sample sessions; all stopped after.
demo: deps-check
	@$(MAKE) --no-print-directory esmtp-milter
	@if [ "$$(id -u)" != 0 ]; then \
	  echo "make demo needs root: Postfix switches users"; exit 1; fi
	@d=$$(mktemp -d /tmp/esmtp-milter-demo.XXXXXX) && chmod 755 "$$d" && \
	  $(PYTHON) tests/e2e/demo.py ./esmtp-milter "$$d" && rm -rf "$$d"

# Debian's python3, which has python3-prometheus-client (a python3 earlier
# on PATH may not).
PYTHON := /usr/bin/python3

stats-tests: $(BUILD)/san/esmtp-milter esmtp-milter-stats
	$(PYTHON) tests/stats/stats_test.py $(BUILD)/san/esmtp-milter \
	  esmtp-milter-stats $(BUILD)/stats

# Numbers, not assertions (tests/bench/bench.py says what each row is):
# the daemon next to do-nothing filters that negotiate the same, behind
# Postfix, under held connections, and the parser alone. BENCH_QUICK=1
# runs a subset in under a minute; build/bench.json keeps the numbers.
$(BUILD)/null_filter: tests/bench/null_filter.c include/daemon/milter.h Makefile
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(TEST_CFLAGS) -o $@ $< $(DAEMON_LIBS)

$(BUILD)/null_policy: tests/bench/null_policy.c Makefile
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -o $@ $<

$(BUILD)/milterload: tests/bench/milterload.c Makefile
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -o $@ $<

$(BUILD)/parse_bench: $(BUILD)/tests/bench/parse_bench.o $(CORE_LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(UNIT_LIBS)

bench: deps-check
	@$(MAKE) --no-print-directory esmtp-milter $(BUILD)/null_filter \
	  $(BUILD)/null_policy $(BUILD)/milterload $(BUILD)/parse_bench
	$(PYTHON) tests/bench/bench.py $(CURDIR) $(CURDIR)/$(BUILD)

# Not part of make check: applies each curated mutant of
# tests/mutants/mutants.txt to a scratch copy and runs the unit, protocol
# and command-line suites; every mutant must be caught. MUTANTS=TEXT runs
# only the mutants whose file or text contains TEXT.
mutants: deps-check
	$(PYTHON) tests/mutants/mutants.py $(CURDIR) $(CURDIR)/$(BUILD)/mutants $(MUTANTS)

# make check's part of it: every mutant's text still occurs exactly once
# in its file, so that the list cannot go stale unnoticed (no build)
mutants-check:
	$(PYTHON) tests/mutants/mutants.py --check $(CURDIR)

# The HTML report as a person sees it: Debian's headless Chromium loads the
# daemon's page at / (no console error, the DOM's counts, a screenshot in
# build/report-page.png), HTML Tidy validates it, and esmtp-milter-stats
# --html renders a state with no traffic and one with thousands of clients.
page-tests: esmtp-milter-stats $(BUILD)/san/esmtp-milter
	@d=$$(mktemp -d /tmp/esmtp-milter-page.XXXXXX) && \
	  $(PYTHON) tests/stats/page_test.py $(BUILD)/san/esmtp-milter ./esmtp-milter-stats \
	    "$$d/w" $(CURDIR)/$(BUILD)/report-page.png && rm -rf "$$d"

install-tests: esmtp-milter esmtp-milter-stats
	tests/install.sh

# contrib/prometheus: promtool checks and unit-tests the rules, and a real
# Prometheus (Debian's, unpacked, not installed) scrapes two daemons, then
# one over HTTPS with basic authentication ([stats] web_config, web.py).
prometheus-tests: esmtp-milter esmtp-milter-stats $(BUILD)/san/esmtp-milter
	@sh tests/prometheus/prometheus-setup.sh $(BUILD)/prometheus
	$(BUILD)/prometheus/root/usr/bin/promtool check rules \
	  contrib/prometheus/esmtp-milter.rules.yml
	cd tests/prometheus && $(CURDIR)/$(BUILD)/prometheus/root/usr/bin/promtool \
	  test rules rules_test.yml
	@d=$$(mktemp -d /tmp/esmtp-milter-prom.XXXXXX) && \
	  $(PYTHON) tests/prometheus/fleet.py ./esmtp-milter $(BUILD)/prometheus "$$d/w" && \
	  $(PYTHON) tests/prometheus/web.py $(BUILD)/san/esmtp-milter $(BUILD)/prometheus "$$d/web" \
	    ./esmtp-milter-stats && \
	  rm -rf "$$d"

# A private Postfix and an unpacked Sendmail on loopback, the milter on
# unix, inet and inet6 sockets (tcp.py: also two Postfix instances sharing
# one daemon); needs root (the MTAs change user) and the Debian archive
# (Sendmail's packages).
$(BUILD)/recorder: tests/e2e/recorder.c Makefile
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(TEST_CFLAGS) -o $@ $< $(DAEMON_LIBS)

e2e-tests: $(BUILD)/san/esmtp-milter $(BUILD)/recorder
	@if [ "$$(id -u)" != 0 ]; then \
	  echo "e2e-tests need root: Postfix and Sendmail switch users"; exit 1; fi
	@# under /tmp: the MTAs' users must reach it whatever the clone's path
	@d=$$(mktemp -d /tmp/esmtp-milter-e2e.XXXXXX) && chmod 755 "$$d" && \
	  $(PYTHON) tests/e2e/e2e.py $(BUILD)/san/esmtp-milter "$$d" && \
	  $(PYTHON) tests/e2e/policy.py $(BUILD)/san/esmtp-milter "$$d/policy" && \
	  $(PYTHON) tests/e2e/tls.py $(BUILD)/san/esmtp-milter "$$d/tls" && \
	  $(PYTHON) tests/e2e/tcp.py $(BUILD)/san/esmtp-milter "$$d/tcp" && \
	  $(PYTHON) tests/e2e/attach.py $(BUILD)/san/esmtp-milter $(BUILD)/recorder "$$d/attach" && \
	  rm -rf "$$d"

# The README's deployment on a stock Debian Postfix, in private mount and
# network namespaces: needs root; unpacks rsyslog from Debian's packages.
deploy-tests: esmtp-milter esmtp-milter-stats
	@if [ "$$(id -u)" != 0 ]; then \
	  echo "deploy-tests need root: namespaces, users and Postfix"; exit 1; fi
	@d=$$(mktemp -d /tmp/esmtp-milter-deploy.XXXXXX) && chmod 755 "$$d" && \
	  $(PYTHON) tests/deploy/deploy.py $(CURDIR) "$$d" && rm -rf "$$d"

# As root the default socket directory is created; otherwise the socket
# goes under ./run so that the daemon can start all the same.
run: deps
	@$(MAKE) --no-print-directory all
	@if [ "$$(id -u)" = 0 ]; then \
	  mkdir -p /run/esmtp-milter && exec ./esmtp-milter -f; \
	else \
	  mkdir -p run && \
	  echo "not root: listening on unix:$(CURDIR)/run/esmtp-milter.sock"; \
	  exec ./esmtp-milter -f -p unix:$(CURDIR)/run/esmtp-milter.sock; \
	fi

# The sample config goes with the documentation: an existing
# /etc/esmtp-milter.conf is never overwritten. make uninstall removes the
# files listed here (and the documentation directory), nothing else.
DOC_FILES := contrib/esmtp-milter.conf README LICENSE \
             contrib/grafana/esmtp-milter.json
INSTALLED := $(SBINDIR)/esmtp-milter $(BINDIR)/esmtp-milter-stats \
             $(MANDIR)/man8/esmtp-milter.8 $(MANDIR)/man5/esmtp-milter.conf.5 \
             $(MANDIR)/man1/esmtp-milter-stats.1 \
             $(MANDIR)/man7/esmtp-milter-statistics.7 \
             $(UNITDIR)/esmtp-milter.service \
             $(addprefix $(DOCDIR)/,$(notdir $(DOC_FILES)))

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) \
	  $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 \
	  $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7 \
	  $(DESTDIR)$(DOCDIR) $(DESTDIR)$(UNITDIR)
	install -m 0755 esmtp-milter $(DESTDIR)$(SBINDIR)/esmtp-milter
	install -m 0755 esmtp-milter-stats $(DESTDIR)$(BINDIR)/esmtp-milter-stats
	install -m 0644 milter/man/esmtp-milter.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 milter/man/esmtp-milter.conf.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 milter/man/esmtp-milter-stats.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 milter/man/esmtp-milter-statistics.7 $(DESTDIR)$(MANDIR)/man7/
	install -m 0644 $(DOC_FILES) $(DESTDIR)$(DOCDIR)/
	sed 's|@SBINDIR@|$(SBINDIR)|g' contrib/systemd/esmtp-milter.service \
	  > $(DESTDIR)$(UNITDIR)/esmtp-milter.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/esmtp-milter.service

# Takes the same PREFIX, DESTDIR and directory variables as install.
uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null || true

# A Debian package from contrib/debian (dpkg-deb; no debhelper needed).
deb: all
	$(call need_debs,dpkg-dev)
	@contrib/debian/build-deb.sh . $(BUILD)/deb $(VERSION)

# The package: its files, conffile, control fields, maintainer scripts
# (run against stubs) and lintian.
deb-tests: deb
	$(call need_debs,lintian)
	tests/deb/deb_test.sh $(BUILD)/deb/esmtp-milter_$(VERSION)_$$(dpkg --print-architecture).deb

# make check again, in a fresh minimal root of the other supported Debian
# release (12 on 13, 13 on 12), built with mmdebstrap from the archive this
# machine uses; the base root and downloaded packages are kept under
# /var/cache/esmtp-milter/releases between runs. Needs root. .ci/run runs
# it after make check, so that every submission is proven on both.
check-other-release:
	@tests/release/other-release.sh $(CURDIR)

clean:
	rm -rf $(BUILD) esmtp-milter esmtp-milter-stats run
