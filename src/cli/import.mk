# ffrtmp-import-test: the SQLite importer (import_sqlite.c) with a small
# driver, for test/t/080_cli_import.pl until the ffrtmp command links it.
# `make -f import.mk` here; never installed.

CC      ?= cc
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -Werror

PG_CONFIG ?= pg_config
CPPFLAGS += -I$(shell $(PG_CONFIG) --includedir) $(shell pkg-config --cflags sqlite3)
LDLIBS    = -L$(shell $(PG_CONFIG) --libdir) -lpq $(shell pkg-config --libs sqlite3)

ffrtmp-import-test: import_main.o import_sqlite.o
	$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) $(LDLIBS)

import_main.o import_sqlite.o: import_sqlite.h

clean:
	rm -f ffrtmp-import-test import_main.o import_sqlite.o

.PHONY: clean
