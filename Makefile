# esmtp-milter: make builds the daemon and esmtp-milter-stats, with the
# flags pkg-config gives; a missing library is named with the apt-get line
# that brings it. make help lists the targets. Installing packages is
# contrib/deps.sh (make deps; the test targets run it for their suite).
# The test suites, the sanitizer and fuzzing builds, make bench and make
# mutants are in tests/tests.mk, included at the end.

VERSION   := 0.1.0
CC        ?= cc
CFLAGS    ?= -O2 -g
WARN      := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes
HARDEN    := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
BASE_CFLAGS = -std=gnu11 -D_GNU_SOURCE $(WARN) $(CFLAGS) \
             -DESMTP_MILTER_VERSION='"$(VERSION)"' -pthread -MMD -MP
ALL_LDFLAGS = -pie -Wl,-z,relro,-z,now -pthread $(LDFLAGS)
BUILD     := build

# Three layers, a folder each: milter/core is the session engine (GLib
# and json-glib only; make layering proves it), milter/daemon the
# adapters around it (libmilter, the policy service, HTTP, the state
# file, logging, main), milter/report esmtp-milter-stats and the page's
# renderers. Each layer sees its own headers and the core's.
CORE_PKGS   := glib-2.0 json-glib-1.0
DAEMON_PKGS := $(CORE_PKGS) libmicrohttpd milter yaml-0.1 gnutls libcrypt
REPORT_PKGS := $(CORE_PKGS) libcurl
pc_cflags    = $(shell pkg-config --cflags $(1) 2>/dev/null)
pc_libs      = $(shell pkg-config --libs $(1) 2>/dev/null)
CORE_CFLAGS   = -Iinclude/layering -Iinclude/core $(call pc_cflags,$(CORE_PKGS))
DAEMON_CFLAGS = -Iinclude/core -Iinclude/daemon -Iinclude/report \
                $(call pc_cflags,$(DAEMON_PKGS))
REPORT_CFLAGS = -Iinclude/core -Iinclude/report $(call pc_cflags,$(REPORT_PKGS))
# the core's estimate of distinct clients takes a logarithm (libm)
DAEMON_LIBS   = $(call pc_libs,$(DAEMON_PKGS)) -lm
REPORT_LIBS   = $(call pc_libs,$(REPORT_PKGS)) -lm

CORE_SRC   := $(sort $(wildcard milter/core/*.c))
DAEMON_SRC := $(sort $(wildcard milter/daemon/*.c))
REPORT_SRC := $(sort $(wildcard milter/report/*.c))
# the report's renderers, which the daemon's page at / uses too
REPORT_LIB_SRC := $(filter-out milter/report/stats_main.c,$(REPORT_SRC))

# The core is one static library that every program links.
CORE_LIB   := $(BUILD)/libcore.a
DAEMON_OBJ := $(DAEMON_SRC:%.c=$(BUILD)/%.o) \
              $(REPORT_LIB_SRC:%.c=$(BUILD)/%.o) $(CORE_LIB)
REPORT_OBJ := $(REPORT_SRC:%.c=$(BUILD)/%.o) $(CORE_LIB)

all:
	$(call need_pc,$(sort $(DAEMON_PKGS) $(REPORT_PKGS)))
	@$(MAKE) --no-print-directory esmtp-milter esmtp-milter-stats

esmtp-milter: $(DAEMON_OBJ)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(DAEMON_LIBS)

esmtp-milter-stats: $(REPORT_OBJ)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(REPORT_LIBS)

# Each object with its layer's flags (tests and tools see every layer);
# every object depends on the makefiles: new flags rebuild everything.
LAYER_CFLAGS = $(TEST_CFLAGS)
$(BUILD)/milter/core/%.o: LAYER_CFLAGS = $(CORE_CFLAGS)
$(BUILD)/milter/daemon/%.o: LAYER_CFLAGS = $(DAEMON_CFLAGS)
$(BUILD)/milter/report/%.o: LAYER_CFLAGS = $(REPORT_CFLAGS)
$(BUILD)/%.o: %.c Makefile tests/tests.mk
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(LAYER_CFLAGS) $(HARDEN) -c -o $@ $<

$(CORE_LIB): $(CORE_SRC:%.c=$(BUILD)/%.o)
	@rm -f $@
	ar rcs $@ $^

# header dependencies written by the compiler (-MMD -MP)
-include $(shell find $(BUILD)/milter $(BUILD)/tests $(BUILD)/san $(BUILD)/tsan \
  $(BUILD)/fuzz -name '*.d' -type f 2>/dev/null)

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

.PHONY: help all deps run install uninstall deb clean

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
	@echo "each test target installs its own suite's packages (contrib/deps.sh)"

deps:
	@contrib/deps.sh build

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

# make install takes PREFIX, DESTDIR and the single directories. The
# sample config goes with the documentation: /etc is never written. make
# uninstall removes the files listed here (and the documentation
# directory), nothing else.
PREFIX    ?= /usr/local
DESTDIR   ?=
SBINDIR   ?= $(PREFIX)/sbin
BINDIR    ?= $(PREFIX)/bin
MANDIR    ?= $(PREFIX)/share/man
DOCDIR    ?= $(PREFIX)/share/doc/esmtp-milter
UNITDIR   ?= $(PREFIX)/lib/systemd/system
MAN_PAGES := milter/man/esmtp-milter.8 milter/man/esmtp-milter.conf.5 \
             milter/man/esmtp-milter-stats.1 milter/man/esmtp-milter-statistics.7
DOC_FILES := contrib/esmtp-milter.conf README LICENSE \
             contrib/grafana/esmtp-milter.json
man_path   = $(MANDIR)/man$(subst .,,$(suffix $(1)))/$(notdir $(1))
INSTALLED := $(SBINDIR)/esmtp-milter $(BINDIR)/esmtp-milter-stats \
             $(foreach p,$(MAN_PAGES),$(call man_path,$(p))) \
             $(UNITDIR)/esmtp-milter.service \
             $(addprefix $(DOCDIR)/,$(notdir $(DOC_FILES)))

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(DOCDIR) \
	  $(DESTDIR)$(UNITDIR) $(foreach p,$(MAN_PAGES),$(DESTDIR)$(dir $(call man_path,$(p))))
	install -m 0755 esmtp-milter $(DESTDIR)$(SBINDIR)/esmtp-milter
	install -m 0755 esmtp-milter-stats $(DESTDIR)$(BINDIR)/esmtp-milter-stats
	$(foreach p,$(MAN_PAGES),install -m 0644 $(p) $(DESTDIR)$(call man_path,$(p)) &&) true
	install -m 0644 $(DOC_FILES) $(DESTDIR)$(DOCDIR)/
	sed 's|@SBINDIR@|$(SBINDIR)|g' contrib/systemd/esmtp-milter.service \
	  > $(DESTDIR)$(UNITDIR)/esmtp-milter.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/esmtp-milter.service

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null || true

# A Debian package from contrib/debian (dpkg-deb; no debhelper needed).
deb: all
	@contrib/deps.sh deb
	@contrib/debian/build-deb.sh . $(BUILD)/deb $(VERSION)

clean:
	rm -rf $(BUILD) esmtp-milter esmtp-milter-stats run

include tests/tests.mk
