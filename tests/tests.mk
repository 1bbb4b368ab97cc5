# The test suites, included by the Makefile. tests/README says what each
# suite proves. Every suite target first runs contrib/deps.sh for its own
# group, so that it runs alone on a machine with only its packages; make
# check runs them all, in the order below, after installing every group.

# Debian's python3, which has python3-prometheus-client (a python3 earlier
# on PATH may not).
PYTHON := /usr/bin/python3

# check.h needs no flags of its own: a suite that does not link Check
# builds without it installed (tsan-tests, e2e-tests, make bench)
TEST_PKGS   := $(DAEMON_PKGS)
TEST_CFLAGS  = -Iinclude/core -Iinclude/daemon -Iinclude/report \
               $(call pc_cflags,$(TEST_PKGS))
UNIT_LIBS    = $(call pc_libs,check $(CORE_PKGS)) -lm

# Build variants beside the plain one, each with its own libcore.a: san
# (AddressSanitizer and UBSan: the daemon under test, the sanitizer unit
# tests, the seed replay), tsan (the stress test) and fuzz (clang's
# libFuzzer). One object rule per variant, with the layer's own flags.
SAN_FLAGS  := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
              -fno-omit-frame-pointer
TSAN_FLAGS := -O1 -g -fsanitize=thread
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined \
               -fno-sanitize-recover=undefined
SAN_CORE_LIB := $(BUILD)/san/libcore.a
SAN_DAEMON_OBJ := $(DAEMON_SRC:%.c=$(BUILD)/san/%.o) \
              $(REPORT_LIB_SRC:%.c=$(BUILD)/san/%.o) $(SAN_CORE_LIB)
UNIT_SRC   := $(wildcard tests/unit/*.c)
# the unit tests link the core, the state file and the report writer
UNIT_EXTRA := milter/daemon/stats_state.c $(REPORT_LIB_SRC) \
              tests/fuzz/stats_roundtrip.c
UNIT_OBJ  := $(UNIT_SRC:%.c=$(BUILD)/%.o) $(UNIT_EXTRA:%.c=$(BUILD)/%.o) \
             $(CORE_LIB)
SAN_UNIT_OBJ := $(UNIT_SRC:%.c=$(BUILD)/san/%.o) \
             $(UNIT_EXTRA:%.c=$(BUILD)/san/%.o) $(SAN_CORE_LIB)

$(BUILD)/san/milter/core/%.o $(BUILD)/tsan/milter/core/%.o \
  $(BUILD)/fuzz/milter/core/%.o: LAYER_CFLAGS = $(CORE_CFLAGS)
$(BUILD)/san/milter/daemon/%.o $(BUILD)/fuzz/milter/daemon/%.o: LAYER_CFLAGS = $(DAEMON_CFLAGS)
$(BUILD)/san/milter/report/%.o $(BUILD)/fuzz/milter/report/%.o: LAYER_CFLAGS = $(REPORT_CFLAGS)

$(BUILD)/san/%.o: %.c Makefile tests/tests.mk
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(LAYER_CFLAGS) $(SAN_FLAGS) -c -o $@ $<

$(BUILD)/tsan/%.o: %.c Makefile tests/tests.mk
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(LAYER_CFLAGS) $(TSAN_FLAGS) -c -o $@ $<

$(BUILD)/fuzz/%.o: %.c Makefile tests/tests.mk
	@mkdir -p $(dir $@)
	clang $(BASE_CFLAGS) $(LAYER_CFLAGS) $(FUZZ_CFLAGS) -c -o $@ $<

$(SAN_CORE_LIB): $(CORE_SRC:%.c=$(BUILD)/san/%.o)
$(BUILD)/tsan/libcore.a: $(CORE_SRC:%.c=$(BUILD)/tsan/%.o)
$(BUILD)/fuzz/libcore.a: $(CORE_SRC:%.c=$(BUILD)/fuzz/%.o)
$(SAN_CORE_LIB) $(BUILD)/tsan/libcore.a $(BUILD)/fuzz/libcore.a:
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/san/esmtp-milter: $(SAN_DAEMON_OBJ)
	$(CC) $(SAN_FLAGS) -pthread -o $@ $^ $(DAEMON_LIBS)

$(BUILD)/check_unit: $(UNIT_OBJ)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(UNIT_LIBS)

$(BUILD)/san/check_unit: $(SAN_UNIT_OBJ)
	$(CC) $(SAN_FLAGS) -pthread -o $@ $^ $(UNIT_LIBS)

.PHONY: check unit unit-san tsan-tests milter-tests cli-tests page-tests \
        install-tests stats-tests prometheus-tests e2e-tests deploy-tests \
        deb-tests fuzz-replay fuzz-run fuzz demo bench mutants mutants-check \
        layering doc-tests check-other-release

# deps-GROUP: contrib/deps.sh GROUP (install or print the apt-get line)
deps-%:
	@contrib/deps.sh $*

check: deps-check
	@# the bench's programs are built too, so that they do not rot
	@$(MAKE) --no-print-directory esmtp-milter esmtp-milter-stats \
	  $(BUILD)/null_filter $(BUILD)/null_policy $(BUILD)/milterload \
	  $(BUILD)/parse_bench $(BUILD)/save_bench layering mutants-check \
	  doc-tests unit unit-san tsan-tests fuzz-replay fuzz-run milter-tests \
	  cli-tests install-tests stats-tests page-tests prometheus-tests deb-tests \
	  deploy-tests e2e-tests

# The core may use GLib and json-glib only: each header of another layer
# or library must fail to compile with the core's flags. tests/structure.py:
# no cycles, sizes, and each header implemented by its own file.
layering: deps-build $(DAEMON_OBJ) $(REPORT_OBJ)
	@$(PYTHON) tests/structure.py $(CORE_SRC:%.c=$(BUILD)/%.o) \
	  $(DAEMON_SRC:%.c=$(BUILD)/%.o) $(REPORT_LIB_SRC:%.c=$(BUILD)/%.o) \
	  -- $(CORE_SRC) $(DAEMON_SRC) $(REPORT_SRC) \
	  -- $(wildcard include/core/*.h include/daemon/*.h include/report/*.h)
	@$(PYTHON) tests/structure.py $(CORE_SRC:%.c=$(BUILD)/%.o) $(REPORT_SRC:%.c=$(BUILD)/%.o) \
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

unit: deps-unit $(BUILD)/check_unit
	CK_FORK=yes $(BUILD)/check_unit

unit-san: deps-unit $(BUILD)/san/check_unit
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	CK_FORK=no $(BUILD)/san/check_unit

# The core under threads (tests/stress): sessions, the policy service,
# reloads and the exporters at once, under ThreadSanitizer.
$(BUILD)/tsan/stress: $(BUILD)/tsan/tests/stress/stress.o $(BUILD)/tsan/libcore.a
	$(CC) $(TSAN_FLAGS) -pthread -o $@ $^ $(call pc_libs,$(CORE_PKGS)) -lm

tsan-tests: deps-tsan $(BUILD)/tsan/stress
	@# GSlice recycles memory behind futexes ThreadSanitizer cannot see
	G_SLICE=always-malloc TSAN_OPTIONS="halt_on_error=1 exitcode=66" \
	  $(BUILD)/tsan/stress

# Fuzz targets (tests/fuzz): make check replays their seed corpora under
# the sanitizers with gcc (an input running over 10 s fails as a hang),
# then runs libFuzzer (clang) on each for FUZZ_SECONDS; make fuzz runs
# each for FUZZ_RUNS executions (tests/README has the figures). Both
# start from a copy of the seeds under build/fuzz, stop an input after
# FUZZ_TIMEOUT seconds (a hang is a finding), and print the path of any
# input that crashed, leaked or hung.
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
FUZZ_LIBS = $(call pc_libs,$(CORE_PKGS) yaml-0.1 gnutls libcrypt) -lm

$(BUILD)/san/fuzz_%: $(BUILD)/san/tests/fuzz/fuzz_%.o \
    $(BUILD)/san/tests/fuzz/replay.o $(SAN_CORE_LIB)
	$(CC) $(SAN_FLAGS) -pthread -o $@ $(filter %.o,$^) $(filter %.a,$^) $(FUZZ_LIBS)

fuzz-replay: deps-unit $(FUZZ_TARGETS:%=$(BUILD)/san/fuzz_%)
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

fuzz-run: deps-fuzz $(FUZZ_TARGETS:%=$(BUILD)/fuzz/fuzz_%)
	$(call run_fuzzers,-max_total_time=$(FUZZ_SECONDS))

fuzz: deps-fuzz
	@$(MAKE) --no-print-directory $(FUZZ_TARGETS:%=$(BUILD)/fuzz/fuzz_%)
	$(call run_fuzzers,-runs=$(FUZZ_RUNS))

milter-tests: deps-milter $(BUILD)/san/esmtp-milter
	PYTHON=$(PYTHON) tests/milter/run.sh $(BUILD)/san/esmtp-milter

# What a person reads against the daemon's own definitions.
doc-tests: deps-docs esmtp-milter esmtp-milter-stats
	$(PYTHON) tests/docs.py ./esmtp-milter $(CURDIR)

cli-tests: deps-cli $(BUILD)/san/esmtp-milter
	tests/cli.sh $(BUILD)/san/esmtp-milter

install-tests: deps-install esmtp-milter esmtp-milter-stats
	tests/install.sh

stats-tests: deps-stats $(BUILD)/san/esmtp-milter esmtp-milter-stats
	$(PYTHON) tests/stats/stats_test.py $(BUILD)/san/esmtp-milter \
	  esmtp-milter-stats $(BUILD)/stats

# The HTML report as a person sees it: Debian's headless Chromium loads the
# daemon's page at / (no console error, the DOM's counts, a screenshot in
# build/report-page.png), HTML Tidy validates it, and esmtp-milter-stats
# --html renders a state with no traffic and one with thousands of clients.
page-tests: deps-page esmtp-milter-stats $(BUILD)/san/esmtp-milter
	@d=$$(mktemp -d /tmp/esmtp-milter-page.XXXXXX) && \
	  $(PYTHON) tests/stats/page_test.py $(BUILD)/san/esmtp-milter ./esmtp-milter-stats \
	    "$$d/w" $(CURDIR)/$(BUILD)/report-page.png && rm -rf "$$d"

# contrib/prometheus: promtool checks and unit-tests the rules, and a real
# Prometheus (Debian's, unpacked, not installed) scrapes two daemons, then
# one over HTTPS with basic authentication ([stats] web_config, web.py).
prometheus-tests: deps-prometheus esmtp-milter esmtp-milter-stats $(BUILD)/san/esmtp-milter
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

# The package: its files, conffile, control fields, maintainer scripts
# (run against stubs) and lintian.
deb-tests: deps-deb deb
	tests/deb/deb_test.sh $(BUILD)/deb/esmtp-milter_$(VERSION)_$$(dpkg --print-architecture).deb

# A private Postfix and an unpacked Sendmail on loopback, the milter on
# unix, inet and inet6 sockets (tcp.py: also two Postfix instances sharing
# one daemon); needs root (the MTAs change user) and the Debian archive
# (Sendmail's packages).
$(BUILD)/recorder: tests/e2e/recorder.c Makefile
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(TEST_CFLAGS) -o $@ $< $(DAEMON_LIBS)

e2e-tests: deps-e2e $(BUILD)/san/esmtp-milter $(BUILD)/recorder
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
deploy-tests: deps-deploy esmtp-milter esmtp-milter-stats
	@if [ "$$(id -u)" != 0 ]; then \
	  echo "deploy-tests need root: namespaces, users and Postfix"; exit 1; fi
	@d=$$(mktemp -d /tmp/esmtp-milter-deploy.XXXXXX) && chmod 755 "$$d" && \
	  $(PYTHON) tests/deploy/deploy.py $(CURDIR) "$$d" && rm -rf "$$d"

# A private Postfix, the daemon, a few sample sessions; all stopped after.
demo: deps-e2e esmtp-milter
	@if [ "$$(id -u)" != 0 ]; then \
	  echo "make demo needs root: Postfix switches users"; exit 1; fi
	@d=$$(mktemp -d /tmp/esmtp-milter-demo.XXXXXX) && chmod 755 "$$d" && \
	  $(PYTHON) tests/e2e/demo.py ./esmtp-milter "$$d" && rm -rf "$$d"

# Numbers, not assertions (tests/bench/bench.py says what each row is):
# the daemon next to do-nothing filters that negotiate the same, behind
# Postfix, under held connections, and the parser alone. BENCH_QUICK=1
# runs a subset in under a minute; build/bench.json keeps the numbers
# and tests/bench/FIGURES the last run's table.
$(BUILD)/null_filter: tests/bench/null_filter.c include/daemon/milter.h Makefile
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(TEST_CFLAGS) -o $@ $< $(DAEMON_LIBS)

$(BUILD)/null_policy $(BUILD)/milterload: $(BUILD)/%: tests/bench/%.c Makefile
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -o $@ $<

$(BUILD)/parse_bench: $(BUILD)/tests/bench/parse_bench.o $(CORE_LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(call pc_libs,$(CORE_PKGS)) -lm

$(BUILD)/save_bench: $(BUILD)/tests/bench/save_bench.o \
    $(BUILD)/milter/daemon/stats_state.o $(CORE_LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(call pc_libs,$(CORE_PKGS)) -lm

bench: deps-bench esmtp-milter $(BUILD)/null_filter $(BUILD)/null_policy \
    $(BUILD)/milterload $(BUILD)/parse_bench $(BUILD)/save_bench
	$(PYTHON) tests/bench/bench.py $(CURDIR) $(CURDIR)/$(BUILD)

# Not part of make check: applies each curated mutant of
# tests/mutants/mutants.txt to a scratch copy and runs the suites that
# cover its file; every mutant must be caught. MUTANTS=TEXT runs only
# the mutants whose file or text contains TEXT.
mutants: deps-mutants
	$(PYTHON) tests/mutants/mutants.py $(CURDIR) $(CURDIR)/$(BUILD)/mutants $(if $(MUTANTS),'$(MUTANTS)')

# make check's part of it: every mutant's text still occurs exactly once
# in its file, so that the list cannot go stale unnoticed (no build)
mutants-check: deps-docs
	$(PYTHON) tests/mutants/mutants.py --check $(CURDIR)

# make check again, in a fresh minimal root of the other supported Debian
# release (12 on 13, 13 on 12), built with mmdebstrap from the archive this
# machine uses; the base root and downloaded packages are kept under
# /var/cache/esmtp-milter/releases between runs. Needs root. .ci/run runs
# it after make check, so that every submission is proven on both.
check-other-release: deps-release
	@tests/release/other-release.sh $(CURDIR)
