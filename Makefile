# ffrtmp: the PostgreSQL extension (PGXS) and, below, the worker.  `make`,
# `make install`, `make extension`, `make install-extension` (docs/building.md),
# and the test layers below; scripts/test.sh runs them all as an unprivileged user.

EXTENSION  = ffrtmp
EXTVERSION = 0.2

MODULE_big = ffrtmp
OBJS       = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c src/common/*.c)))

# SQL (see docs/upgrading.md).  sql/schema/ is what a fresh install creates
# once (tables, seed rows), at the current version; sql/updates/X--Y.sql is
# what changes in stored state from release X to release Y; sql/api/ is
# everything defined again on every install and update (functions, views,
# policies, grants next to their objects).  So:
#   ffrtmp--<current>.sql      = sql/schema/* + sql/api/*
#   ffrtmp--<V>--<current>.sql = the deltas from V up to the current version,
#                                then sql/api/*   (one for every older V)
# Released SQL is never edited.  The install script of an older release R is
# kept as users installed it in sql/R/ (release 0.1's in parts; the upgrade
# test pins its sha256), so that it can still be installed and updated.
SCHEMA   = $(sort $(wildcard sql/schema/*.sql))
API      = $(sort $(wildcard sql/api/*.sql))
UPDATES  = $(wildcard sql/updates/*--*.sql)
RELEASED = $(patsubst sql/%/,%,$(wildcard sql/[0-9]*/))
# The version an update starts from (sql/updates/0.1--0.2.sql: 0.1), the one
# it reaches (0.2), and the chain of updates from a version to the current one.
update_from  = $(firstword $(subst --, ,$(basename $(notdir $(1)))))
update_to    = $(lastword $(subst --, ,$(basename $(notdir $(1)))))
update_after = $(filter sql/updates/$(1)--%,$(UPDATES))
update_chain = $(if $(filter-out $(EXTVERSION),$(1)),$(call update_after,$(1)) \
                 $(call update_chain,$(call update_to,$(call update_after,$(1)))))
OLD_VERSIONS    = $(foreach u,$(UPDATES),$(call update_from,$(u)))
UPGRADE_SCRIPTS = $(foreach v,$(OLD_VERSIONS),sql/$(EXTENSION)--$(v)--$(EXTVERSION).sql)
ifneq ($(filter $(EXTVERSION),$(RELEASED)),)
$(error sql/$(EXTVERSION)/ would freeze the version being written: put its changes in sql/schema/, sql/api/ and sql/updates/ (docs/upgrading.md))
endif

DATA_built = $(foreach v,$(RELEASED),sql/$(EXTENSION)--$(v).sql) \
             sql/$(EXTENSION)--$(EXTVERSION).sql $(UPGRADE_SCRIPTS)

PG_CPPFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter -Wno-sign-compare \
              -Wno-missing-field-initializers -Wno-cast-function-type \
              '-DFFRTMP_VERSION="$(EXTVERSION)"'

# The library knows its version (the scheduler waits while the installed SQL
# is another one), so the control file's default_version must be the same.
ifneq ($(shell sed -n "s/^default_version = '\(.*\)'$$/\1/p" $(EXTENSION).control),$(EXTVERSION))
$(error $(EXTENSION).control: default_version is not EXTVERSION $(EXTVERSION))
endif

# Regression tests run in a temporary instance with the library preloaded, in
# the database its ffrtmp.database names (the first --dbname is the one used).
REGRESS      = $(patsubst test/sql/%.sql,%,$(sort $(wildcard test/sql/*.sql)))
REGRESS_OPTS = --inputdir=test --outputdir=. --temp-instance=./tmp_check \
               --temp-config=test/ffrtmp.conf --dbname=ffrtmp_regress
ISOLATION      = $(patsubst test/specs/%.spec,%,$(sort $(wildcard test/specs/*.spec)))
ISOLATION_OPTS = --inputdir=test --outputdir=. --temp-instance=./tmp_check_iso \
                 --temp-config=test/ffrtmp_isolation.conf --dbname=ffrtmp_isolation
EXTRA_CLEAN  = tmp_check tmp_check_iso output_iso results regression.diffs regression.out

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

define released_rule
sql/$(EXTENSION)--$(1).sql: $(sort $(wildcard sql/$(1)/*.sql))
	cat $$^ > $$@
endef
$(foreach v,$(RELEASED),$(eval $(call released_rule,$(v))))
# The folders are prerequisites too: a part removed or renamed changes its
# folder's time, so the scripts are built again without it.
sql/$(EXTENSION)--$(EXTVERSION).sql: $(SCHEMA) $(API) sql/schema sql/api
	cat $(filter %.sql,$^) > $@
define upgrade_rule
sql/$(EXTENSION)--$(1)--$(EXTVERSION).sql: $(call update_chain,$(1)) $(API) sql/updates sql/api
	cat $$(filter %.sql,$$^) > $$@
endef
$(foreach v,$(OLD_VERSIONS),$(eval $(call upgrade_rule,$(v))))

# The worker daemon (and ffrtmp-transcode) live in src/worker with their own
# Makefile and need libpq, libav* (FFmpeg 5.1), json-c and libseccomp; `make`
# and `make install` build and install them too (into /usr/local/bin), with
# the webhook daemon of src/webhooks.
# A database host builds the extension alone, with PostgreSQL's server
# headers and the C library only: `make extension` and `make install-extension`
# (or WORKER=no with any target).  See docs/building.md.
WORKER ?= yes
ifneq ($(WORKER),no)
all: worker cli
install: install-worker install-cli
clean: clean-worker clean-cli
endif
# The webhook delivery daemon, ffrtmp-webhooks (src/webhooks, libpq, libcurl
# and libcrypto; docs/webhooks.md), is built and installed with the worker.
worker:
	$(MAKE) -C src/worker
	$(MAKE) -C src/webhooks
install-worker: worker
	$(MAKE) -C src/worker install
	$(MAKE) -C src/webhooks install
clean-worker:
	$(MAKE) -C src/worker clean
	$(MAKE) -C src/webhooks clean
# The command-line client, ffrtmp (src/cli, libpq only; docs/cli.md), with
# its man page and bash completion.
cli:
	$(MAKE) -C src/cli
install-cli: cli
	$(MAKE) -C src/cli install
clean-cli:
	$(MAKE) -C src/cli clean
extension:
	$(MAKE) WORKER=no all
install-extension:
	$(MAKE) WORKER=no install
.PHONY: worker install-worker clean-worker cli install-cli clean-cli extension install-extension

# The high-availability test (docs/high-availability.md): etcd and three
# PostgreSQL members under Patroni on loopback, a failover under workers and
# submits; about a minute.  It is scripts/test.sh's ha layer, which a full run
# of scripts/test.sh runs too.  As root, or as a user who may write
# PostgreSQL's extension directory, with patroni and etcd-server installed.
check-ha:
	PG_CONFIG=$(PG_CONFIG) bash scripts/test.sh ha
.PHONY: check-ha

# The benchmarks side by side with pg-boss and graphile-worker (bench/README.md):
# a private cluster, about 12 minutes on a quiet 2-CPU machine; bench/RESULTS.md
# and bench/charts/.  BENCH_FLAGS=--quick for a run of a few minutes into
# bench/quick/.  As root.
bench:
	PG_CONFIG=$(PG_CONFIG) bench/run $(BENCH_FLAGS)
.PHONY: bench

# The Debian packages postgresql-15-ffrtmp and ffrtmp-worker (debian/), built
# from a clean copy of the checkout into deb/ (DEB_DIR); prints their paths.
DEB_DIR ?= deb
deb:
	scripts/build-packages $(DEB_DIR)
.PHONY: deb
