# snapkeep - RDS backup policy from git, planned and applied
#
#   make            build build/snapkeep
#   make deps       install missing Debian packages (apt-get)
#   make test       every test, under AddressSanitizer + UBSan; ends "N passed, N failed"
#   make demo       the main job against the local emulator
#   make install    binary and man page under PREFIX
#   make bench      benchmarks (figures, not pass/fail)
#   make check-long long soaks, then `make fuzz`
#   make fuzz [FUZZ_SECONDS=N] [FUZZ_TARGETS="xml policy"] [FUZZ_OPTS=-flag]
#                   libFuzzer (clang, ASan+UBSan) on every target, N (60) seconds each
#   make sigv4-vectors [VECTORS=dir]   the AWS SigV4 test suite
#
# Every .c under common/ aws/ specs/ state/ reconciler/ (and its planner/,
# engine/ and service/ folders) goes into the library; cli/ is the binary and
# nothing in the library includes it; every
# tests/unit/test_*.c is a cmocka test, every tests/fuzz/fuzz_*.c a fuzz target
# and every tests/tools/*.c and bench/*.c a tool.  New files need no Makefile edit.
#
# A fuzz target builds twice from one source: with gcc and tests/fuzz/driver.c
# for the short deterministic run in `make test` (build/san/tests/fuzz/), and
# with clang -fsanitize=fuzzer against a libsnapkeep of its own clang objects
# for `make fuzz` (build/fuzz/).

PREFIX ?= /usr/local
CC ?= cc
PYTHON ?= python3
# the shared copy of AWS's SigV4 suite when it is there (it may hold more cases), else the repo's
VECTORS ?= $(if $(wildcard ../shared/testdata/sigv4),../shared/testdata/sigv4,tests/data/sigv4)
BUILD ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

PKGS := libcurl openssl yaml-0.1 jansson yajl libgit2 libxml-2.0 libmicrohttpd libpq gpgme
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_CFLAGS := $(shell pkg-config --cflags cmocka 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

VERSION := $(shell git describe --always --dirty 2>/dev/null || echo unknown)

WARN := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2
DEFS := -D_DEFAULT_SOURCE -DSK_VERSION='"0.1.0-$(VERSION)"'
CPPFLAGS_ALL := -I. $(DEFS) $(PKG_CFLAGS) -MMD -MP
REL_FLAGS := -O2 -g
SAN_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
# libFuzzer builds: the library is instrumented for coverage without libFuzzer's main
FUZZ_CC ?= clang
FUZZ_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
# clang's -Wformat=2 also flags vsnprintf(fmt, ap) in our v-helpers, which gcc (the
# build of record) accepts without a format attribute on each
FUZZ_WARN := $(WARN) -Wno-format-nonliteral
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=
FUZZ_OPTS ?=
LIBS := $(PKG_LIBS) -lpthread -lm

BIN_SRC := $(wildcard cli/*.c)
LIB_SRC := $(wildcard common/*.c aws/*.c specs/*.c state/*.c reconciler/*.c reconciler/*/*.c)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
TOOL_SRC := $(wildcard tests/tools/*.c bench/*.c)

# $(call objs,variant,sources)
objs = $(patsubst %.c,$(BUILD)/$(1)/%.o,$(2))

REL_LIB := $(BUILD)/rel/libsnapkeep.a
SAN_LIB := $(BUILD)/san/libsnapkeep.a
REL_BIN := $(BUILD)/snapkeep
SAN_BIN := $(BUILD)/san/snapkeep
SAN_UNITS := $(patsubst tests/unit/%.c,$(BUILD)/san/tests/unit/%,$(UNIT_SRC))
REL_UNITS := $(patsubst tests/unit/%.c,$(BUILD)/rel/tests/unit/%,$(UNIT_SRC))
SAN_FUZZ := $(patsubst tests/fuzz/%.c,$(BUILD)/san/tests/fuzz/%,$(FUZZ_SRC))
FUZZ_LIB := $(BUILD)/fuzz/libsnapkeep.a
LIBFUZZ := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRC))
REL_TOOLS := $(patsubst %.c,$(BUILD)/rel/%,$(TOOL_SRC))
SAN_TOOLS := $(patsubst %.c,$(BUILD)/san/%,$(TOOL_SRC))

.PHONY: all deps test unit demo install clean fuzz fuzz-build bench check-long sigv4-vectors valgrind tools

all: $(REL_BIN) $(REL_TOOLS)

$(BUILD)/rel/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(WARN) $(CPPFLAGS_ALL) $(CMOCKA_CFLAGS) $(REL_FLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/san/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(WARN) $(CPPFLAGS_ALL) $(CMOCKA_CFLAGS) $(SAN_FLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/fuzz/obj/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_WARN) $(CPPFLAGS_ALL) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link $(CFLAGS) -c -o $@ $<

$(REL_LIB): $(call objs,rel,$(LIB_SRC))
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(SAN_LIB): $(call objs,san,$(LIB_SRC))
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(FUZZ_LIB): $(call objs,fuzz/obj,$(LIB_SRC))
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(REL_BIN): $(call objs,rel,$(BIN_SRC)) $(REL_LIB)
	$(CC) $(REL_FLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

$(SAN_BIN): $(call objs,san,$(BIN_SRC)) $(SAN_LIB)
	$(CC) $(SAN_FLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/san/tests/unit/%: $(BUILD)/san/tests/unit/%.o $(SAN_LIB)
	$(CC) $(SAN_FLAGS) $(LDFLAGS) -o $@ $^ $(LIBS) $(CMOCKA_LIBS)

$(BUILD)/rel/tests/unit/%: $(BUILD)/rel/tests/unit/%.o $(REL_LIB)
	$(CC) $(REL_FLAGS) $(LDFLAGS) -o $@ $^ $(LIBS) $(CMOCKA_LIBS)

$(BUILD)/san/tests/fuzz/%: $(BUILD)/san/tests/fuzz/%.o $(BUILD)/san/tests/fuzz/driver.o $(SAN_LIB)
	$(CC) $(SAN_FLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/fuzz/fuzz_%: $(BUILD)/fuzz/obj/tests/fuzz/fuzz_%.o $(FUZZ_LIB)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/rel/%: $(BUILD)/rel/%.o $(REL_LIB)
	$(CC) $(REL_FLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/san/%: $(BUILD)/san/%.o $(SAN_LIB)
	$(CC) $(SAN_FLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

tools: $(REL_TOOLS)

# installs what is missing (apt-get); a no-op when everything is there
deps:
	@scripts/deps.sh

# the whole suite: sanitized builds of the binary, units, fuzz targets and tools.
# The build is a sub-make so that pkg-config is asked again after deps.
test: deps
	@$(MAKE) --no-print-directory -j$(JOBS) $(SAN_BIN) $(SAN_UNITS) $(SAN_FUZZ) $(SAN_TOOLS) $(REL_BIN) $(REL_TOOLS) $(REL_UNITS)
	@BUILD=$(BUILD) PYTHON=$(PYTHON) VECTORS=$(VECTORS) TEST_JOBS=$${TEST_JOBS:-3} tests/run

unit: $(SAN_UNITS)
	@BUILD=$(BUILD) tests/run --only unit

sigv4-vectors: $(BUILD)/rel/tests/tools/sigv4-vectors
	@$(BUILD)/rel/tests/tools/sigv4-vectors $(VECTORS)

valgrind: $(REL_UNITS) $(REL_BIN)
	@BUILD=$(BUILD) tests/run --valgrind

# libFuzzer on every target (or FUZZ_TARGETS), FUZZ_SECONDS each: seeds from
# tests/fuzz/corpus/NAME, new inputs in build/fuzz/corpus/NAME, crashes in
# build/fuzz/crashes/NAME; one line per target and a total (tests/fuzz/README)
fuzz: deps
	@$(MAKE) --no-print-directory -j$(JOBS) fuzz-build
	@BUILD=$(BUILD) FUZZ_OPTS="$(FUZZ_OPTS)" tests/fuzz/run $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-build: $(LIBFUZZ)

demo: deps
	@$(MAKE) --no-print-directory -j$(JOBS) $(REL_BIN)
	@PYTHON=$(PYTHON) scripts/demo.sh $(REL_BIN)

bench: $(REL_BIN) $(REL_TOOLS)
	@PYTHON=$(PYTHON) BUILD=$(BUILD) bench/run

check-long: $(SAN_BIN) $(SAN_FUZZ) $(REL_BIN) $(REL_TOOLS)
	@BUILD=$(BUILD) PYTHON=$(PYTHON) tests/run --long
	@$(MAKE) --no-print-directory fuzz

install: $(REL_BIN)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(REL_BIN) $(DESTDIR)$(PREFIX)/bin/snapkeep
	install -m 0644 docs/snapkeep.1 $(DESTDIR)$(PREFIX)/share/man/man1/snapkeep.1

clean:
	rm -rf $(BUILD)

.SECONDARY:
-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
