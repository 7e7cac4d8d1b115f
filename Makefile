# mldb: PGXS build.  `./mldb demo` / `./mldb test` wrap this for newcomers
# (they install what is missing first: this file needs pg_config to parse).

EXTENSION  = mldb
EXTVERSION = 0.1

MODULE_big = mldb
OBJS       = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))

# The install script is assembled from sql/src/*.sql (one file per concern,
# applied in file-name order) so that each module keeps its SQL beside it.
DATA_built = sql/mldb--$(EXTVERSION).sql
DATA       = $(filter-out $(DATA_built),$(wildcard sql/mldb--*.sql))

REGRESS      = $(patsubst test/sql/%.sql,%,$(sort $(wildcard test/sql/*.sql)))
REGRESS_OPTS = --inputdir=test --load-extension=mldb

PKG_DEPS    = openblas lapacke
PG_CPPFLAGS = -Isrc $(shell pkg-config --cflags $(PKG_DEPS)) \
              -Wall -Wextra -Werror -Wno-unused-parameter \
              -Wno-missing-field-initializers -Wno-sign-compare
SHLIB_LINK  = $(shell pkg-config --libs $(PKG_DEPS)) -lm

EXTRA_CLEAN = sql/mldb--$(EXTVERSION).sql

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

sql/mldb--$(EXTVERSION).sql: $(sort $(wildcard sql/src/*.sql))
	cat $^ > $@

$(OBJS): $(wildcard src/*.h)
