# esmtp-milter: make, make check, make run, make install, make bench.
# Flags come from pkg-config; missing Debian packages are installed when
# run as root, and named with the exact apt-get line otherwise.

PREFIX    ?= /usr/local
DESTDIR   ?=
SBINDIR   ?= $(PREFIX)/sbin
BINDIR    ?= $(PREFIX)/bin
MANDIR    ?= $(PREFIX)/share/man
DOCDIR    ?= $(PREFIX)/share/doc/esmtp-milter
UNITDIR   ?= $(PREFIX)/lib/systemd/system
VERSION   := 0.1.0

CC        ?= cc
PKGS      := glib-2.0 json-glib-1.0 libmicrohttpd milter
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN      := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes
HARDEN    := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
CFLAGS    ?= -O2 -g
ALL_CFLAGS = -std=gnu11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -Iinclude $(PKG_CFLAGS) \
             -DESMTP_MILTER_VERSION='"$(VERSION)"' -pthread
ALL_LDFLAGS = -pie -Wl,-z,relro,-z,now -pthread $(LDFLAGS)
SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
             -fno-omit-frame-pointer

CORE_SRC  := milter/esmtp_param.c milter/registry.c milter/rules.c \
             milter/size.c milter/config.c milter/session.c milter/stats.c \
             milter/stats_export.c milter/stats_state.c
DAEMON_SRC := $(CORE_SRC) milter/log.c milter/milter.c milter/main.c \
             milter/stats_http.c milter/housekeeping.c
REPORT_SRC := milter/rules.c milter/config.c milter/report.c \
             milter/stats_main.c
UNIT_SRC  := $(wildcard tests/unit/*.c)

BUILD     := build
DAEMON_OBJ := $(DAEMON_SRC:%.c=$(BUILD)/%.o)
REPORT_OBJ := $(REPORT_SRC:%.c=$(BUILD)/%.o)
SAN_DAEMON_OBJ := $(DAEMON_SRC:%.c=$(BUILD)/san/%.o)
UNIT_OBJ  := $(CORE_SRC:%.c=$(BUILD)/%.o) $(BUILD)/milter/report.o \
             $(UNIT_SRC:%.c=$(BUILD)/%.o)
SAN_UNIT_OBJ := $(CORE_SRC:%.c=$(BUILD)/san/%.o) $(BUILD)/san/milter/report.o \
             $(UNIT_SRC:%.c=$(BUILD)/san/%.o)

BUILD_DEBS := gcc make pkg-config libc6-dev libmilter-dev libglib2.0-dev \
              libjson-glib-dev libmicrohttpd-dev libcurl4-openssl-dev
CHECK_DEBS := check miltertest python3 python3-prometheus-client \
              libsasl2-modules sasl2-bin groff-base man-db
# postfix is installed with debconf's "No configuration": no system
# instance is set up or started; the tests run a private one.
E2E_DEBS   := postfix
# the deployment test: users, namespaces, the loopback interface
DEPLOY_DEBS := adduser util-linux iproute2

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

.PHONY: all deps deps-check check unit unit-san milter-tests cli-tests \
        install-tests stats-tests e2e-tests deploy-tests fuzz-replay fuzz run demo bench mutants \
        install uninstall clean

all: deps
	@$(MAKE) --no-print-directory esmtp-milter esmtp-milter-stats

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
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

esmtp-milter-stats: $(REPORT_OBJ)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(shell pkg-config --libs glib-2.0 json-glib-1.0 libcurl)

$(BUILD)/san/esmtp-milter: $(SAN_DAEMON_OBJ)
	$(CC) $(SAN_FLAGS) -pthread -o $@ $^ $(PKG_LIBS)

$(BUILD)/%.o: %.c $(wildcard include/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(HARDEN) -c -o $@ $<

$(BUILD)/san/%.o: %.c $(wildcard include/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -c -o $@ $<

UNIT_LIBS = $(shell pkg-config --libs check glib-2.0 json-glib-1.0)

$(BUILD)/check_unit: $(UNIT_OBJ)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(UNIT_LIBS)

$(BUILD)/san/check_unit: $(SAN_UNIT_OBJ)
	$(CC) $(SAN_FLAGS) -pthread -o $@ $^ $(UNIT_LIBS)

check: deps-check
	@$(MAKE) --no-print-directory esmtp-milter esmtp-milter-stats unit \
	  unit-san fuzz-replay milter-tests \
	  cli-tests install-tests stats-tests deploy-tests e2e-tests

unit: $(BUILD)/check_unit
	CK_FORK=yes $(BUILD)/check_unit

unit-san: $(BUILD)/san/check_unit
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	CK_FORK=no $(BUILD)/san/check_unit

# Fuzz targets (tests/fuzz): make check replays their seed corpora under
# the sanitizers with gcc; make fuzz runs libFuzzer (clang) on each for
# FUZZ_SECONDS, starting from a copy of the seeds under build/.
FUZZ_TARGETS := session config
FUZZ_SECONDS ?= 60
SAN_CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/san/%.o)

$(BUILD)/san/fuzz_%: $(SAN_CORE_OBJ) $(BUILD)/san/tests/fuzz/fuzz_%.o \
    $(BUILD)/san/tests/fuzz/replay.o
	$(CC) $(SAN_FLAGS) -pthread -o $@ $^ $(UNIT_LIBS)

fuzz-replay: $(FUZZ_TARGETS:%=$(BUILD)/san/fuzz_%)
	@for t in $(FUZZ_TARGETS); do \
	  echo "fuzz-replay: $$t"; \
	  ASAN_OPTIONS=detect_leaks=1 $(BUILD)/san/fuzz_$$t tests/fuzz/corpus/$$t/* \
	    || exit 1; \
	done

fuzz: deps
	$(call need_debs,clang libclang-rt-14-dev)
	@mkdir -p $(BUILD)/fuzz
	@for t in $(FUZZ_TARGETS); do \
	  clang -g -O1 -fsanitize=fuzzer,address,undefined -std=gnu11 \
	    -D_GNU_SOURCE -Iinclude $(PKG_CFLAGS) -o $(BUILD)/fuzz/fuzz_$$t \
	    $(CORE_SRC) tests/fuzz/fuzz_$$t.c $(UNIT_LIBS) || exit 1; \
	  mkdir -p $(BUILD)/fuzz/corpus_$$t; \
	  cp tests/fuzz/corpus/$$t/* $(BUILD)/fuzz/corpus_$$t/; \
	  $(BUILD)/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=65536 $(BUILD)/fuzz/corpus_$$t || exit 1; \
	done

milter-tests: $(BUILD)/san/esmtp-milter
	PYTHON=$(PYTHON) tests/milter/run.sh $(BUILD)/san/esmtp-milter

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

# Numbers, not assertions: the daemon next to a do-nothing libmilter
# filter on the same sessions. BENCH_MESSAGES and BENCH_CLIENTS size it.
BENCH_MESSAGES ?= 10000
BENCH_CLIENTS ?= 4

$(BUILD)/null_filter: tests/bench/null_filter.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(PKG_LIBS)

bench: all $(BUILD)/null_filter
	$(PYTHON) tests/bench/bench.py ./esmtp-milter $(BUILD)/null_filter \
	  $(BUILD)/bench $(BENCH_MESSAGES) $(BENCH_CLIENTS)

# Not part of make check: applies each curated mutant of
# tests/mutants/mutants.txt to a scratch copy and runs the unit, protocol
# and command-line suites; every mutant must be caught. MUTANTS=TEXT runs
# only the mutants whose file or text contains TEXT.
mutants: deps-check
	$(PYTHON) tests/mutants/mutants.py $(CURDIR) $(CURDIR)/$(BUILD)/mutants $(MUTANTS)

install-tests: esmtp-milter esmtp-milter-stats
	tests/install.sh

# A private Postfix and an unpacked Sendmail on loopback; needs root (the
# MTAs change user) and the Debian archive (Sendmail's packages).
e2e-tests: $(BUILD)/san/esmtp-milter
	@if [ "$$(id -u)" != 0 ]; then \
	  echo "e2e-tests need root: Postfix and Sendmail switch users"; exit 1; fi
	@# under /tmp: the MTAs' users must reach it whatever the clone's path
	@d=$$(mktemp -d /tmp/esmtp-milter-e2e.XXXXXX) && chmod 755 "$$d" && \
	  $(PYTHON) tests/e2e/e2e.py $(BUILD)/san/esmtp-milter "$$d" && \
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
run: all
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
             $(UNITDIR)/esmtp-milter.service \
             $(addprefix $(DOCDIR)/,$(notdir $(DOC_FILES)))

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) \
	  $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 \
	  $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(DOCDIR) $(DESTDIR)$(UNITDIR)
	install -m 0755 esmtp-milter $(DESTDIR)$(SBINDIR)/esmtp-milter
	install -m 0755 esmtp-milter-stats $(DESTDIR)$(BINDIR)/esmtp-milter-stats
	install -m 0644 milter/esmtp-milter.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 milter/esmtp-milter.conf.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 milter/esmtp-milter-stats.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 $(DOC_FILES) $(DESTDIR)$(DOCDIR)/
	sed 's|@SBINDIR@|$(SBINDIR)|g' contrib/systemd/esmtp-milter.service \
	  > $(DESTDIR)$(UNITDIR)/esmtp-milter.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/esmtp-milter.service

# Takes the same PREFIX, DESTDIR and directory variables as install.
uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null || true

clean:
	rm -rf $(BUILD) esmtp-milter esmtp-milter-stats run
