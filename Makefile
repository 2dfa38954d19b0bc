# ffrtmp: the PostgreSQL extension (PGXS).  `make`, `make install`, and the
# test layers below; scripts/test.sh runs them all as an unprivileged user.

EXTENSION  = ffrtmp
EXTVERSION = 0.2

MODULE_big = ffrtmp
OBJS       = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c src/common/*.c)))

# Released SQL is never edited.  sql/0.1/ holds the parts of release 0.1
# (its install script must stay byte for byte what users installed: see
# test/t/009_upgrade.pl); sql/0.2/ holds the parts of the 0.1 -> 0.2 update.
# A fresh 0.2 install runs 0.1 and then that update, so a fresh and an
# upgraded database can only differ where an update script itself is wrong.
DATA_built = sql/$(EXTENSION)--0.1.sql sql/$(EXTENSION)--0.1--0.2.sql \
             sql/$(EXTENSION)--0.2.sql

PG_CPPFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter -Wno-sign-compare \
              -Wno-missing-field-initializers -Wno-cast-function-type \
              -DFFRTMP_VERSION=\"$(EXTVERSION)\"

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

sql/$(EXTENSION)--0.1.sql: $(sort $(wildcard sql/0.1/*.sql))
	cat $^ > $@
sql/$(EXTENSION)--0.1--0.2.sql: $(sort $(wildcard sql/0.2/*.sql))
	cat $^ > $@
sql/$(EXTENSION)--0.2.sql: sql/$(EXTENSION)--0.1.sql sql/$(EXTENSION)--0.1--0.2.sql
	cat $^ > $@

# The worker daemon (and ffrtmp-transcode) live in src/worker with their own
# Makefile; `make install` puts them in /usr/local/bin.
all: worker
worker:
	$(MAKE) -C src/worker
install: install-worker
install-worker: worker
	$(MAKE) -C src/worker install
clean: clean-worker
clean-worker:
	$(MAKE) -C src/worker clean
.PHONY: worker install-worker clean-worker
