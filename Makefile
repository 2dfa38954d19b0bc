# ffrtmp: the PostgreSQL extension (PGXS).  `make`, `make install`, and the
# test layers below; scripts/test.sh runs them all as an unprivileged user.

EXTENSION  = ffrtmp
EXTVERSION = 0.1

MODULE_big = ffrtmp
OBJS       = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))

# The install script of each version is assembled from its numbered parts.
DATA_built = sql/$(EXTENSION)--$(EXTVERSION).sql
DATA       = $(wildcard sql/$(EXTENSION)--*--*.sql)

PG_CPPFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter -Wno-sign-compare \
              -Wno-missing-field-initializers -Wno-cast-function-type

# Regression tests run in a temporary instance with the library preloaded.
REGRESS      = $(patsubst test/sql/%.sql,%,$(sort $(wildcard test/sql/*.sql)))
REGRESS_OPTS = --inputdir=test --outputdir=. --temp-instance=./tmp_check \
               --temp-config=test/ffrtmp.conf
ISOLATION      = $(patsubst test/specs/%.spec,%,$(sort $(wildcard test/specs/*.spec)))
ISOLATION_OPTS = --inputdir=test --outputdir=. --temp-instance=./tmp_check_iso \
                 --temp-config=test/ffrtmp.conf
EXTRA_CLEAN  = tmp_check tmp_check_iso output_iso results regression.diffs regression.out

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

sql/$(EXTENSION)--$(EXTVERSION).sql: $(sort $(wildcard sql/$(EXTVERSION)/*.sql))
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
