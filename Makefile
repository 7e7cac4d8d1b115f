# mldb: PGXS build.  `./mldb demo` / `./mldb test` wrap this for newcomers
# (they install what is missing first: this file needs pg_config to parse).

EXTENSION  = mldb
EXTVERSION = 0.2

MODULE_big = mldb
OBJS       = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))

# The 0.1 install script is assembled from sql/src/*.sql (one file per
# concern, applied in file-name order); each later version is the previous
# one plus its hand-kept upgrade script, so a fresh install and an upgrade
# run the same statements (tested by test/sql/upgrade.sql).
DATA_built = sql/mldb--0.1.sql sql/mldb--0.2.sql
DATA       = sql/mldb--0.1--0.2.sql

REGRESS      = $(patsubst test/sql/%.sql,%,$(sort $(wildcard test/sql/*.sql)))
REGRESS_OPTS = --inputdir=test --load-extension=mldb

PKG_DEPS    = openblas lapacke
PG_CPPFLAGS = -Isrc $(shell pkg-config --cflags $(PKG_DEPS)) \
              -Wall -Wextra -Werror -Wno-unused-parameter \
              -Wno-missing-field-initializers -Wno-sign-compare
SHLIB_LINK  = $(shell pkg-config --libs $(PKG_DEPS)) -lm

EXTRA_CLEAN = $(DATA_built)

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

sql/mldb--0.1.sql: $(sort $(wildcard sql/src/*.sql))
	cat $^ > $@

sql/mldb--0.2.sql: sql/mldb--0.1.sql sql/mldb--0.1--0.2.sql
	cat $^ > $@

$(OBJS): $(wildcard src/*.h)
