# roamtrust: one non-recursive Makefile (see README.md).
#
#   make demo      install missing Debian packages, build, run the example
#   make test      build and run every test (unit, documents, integration)
#   make unit      the unit tests, documents and fuzz corpora alone
#   make integration  the integration scripts alone
#   make bench     print the benchmark figures
#   make fuzz      build the libFuzzer targets with clang and run each briefly
#   make install   PREFIX=/usr/local DESTDIR=
#   make format    clang-format-14 over the sources
#   make valgrind  unit tests under valgrind
#
# SANITIZE=address,undefined builds everything with those sanitizers (into
# its own build folder); WERROR=1 turns warnings into errors.

PREFIX ?= /usr/local
DESTDIR ?=
SANITIZE ?=
WERROR ?=
FUZZ_SECONDS ?= 20
comma := ,
BUILD ?= build$(if $(SANITIZE),-$(subst $(comma),-,$(SANITIZE)))

CFLAGS ?= -O2 -g
WARNINGS := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wformat=2 -Wvla -Wcast-qual -Wwrite-strings -Wimplicit-fallthrough
HARDEN := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
RT_CFLAGS := -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE $(WARNINGS) $(HARDEN) \
	$(if $(WERROR),-Werror) \
	$(if $(SANITIZE),-fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=undefined) \
	-Ilib -I$(BUILD)/gen -Ipki -Ibroker -Iagent -Itests/unit -I/usr/include/libxml2
RT_LDFLAGS := -pie -Wl,-z,relro,-z,now $(if $(SANITIZE),-fsanitize=$(SANITIZE))
LIBS := -lnng -lmicrohttpd -lxml2 -lssl -lcrypto -linih -lcurl -lsqlite3 -lpthread -lm

LIB_SRC := $(wildcard lib/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/rt_schemas.o
SCHEMAS := $(wildcard schemas/*.xsd)

# Each program is a main.c over modules kept in an archive that tests link.
PROGRAMS := pki broker agent
define program_rules
$(1)_MODS := $$(filter-out $(1)/main.c,$$(wildcard $(1)/*.c))
$(1)_OBJ := $$($(1)_MODS:%.c=$$(BUILD)/%.o)
$$(BUILD)/lib$(1).a: $$($(1)_OBJ)
	@mkdir -p $$(@D)
	rm -f $$@ && ar rcs $$@ $$^
endef
$(foreach p,$(PROGRAMS),$(eval $(call program_rules,$(p))))

BINS := $(foreach p,$(PROGRAMS),$(if $(wildcard $(p)/main.c),$(BUILD)/roamtrust-$(p)))
PROGRAM_LIBS := $(foreach p,$(PROGRAMS),$(if $($(p)_MODS),$(BUILD)/lib$(p).a))

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TEST_HELPER_SRC := $(wildcard tests/unit/helper_*.c)
TEST_HELPER_OBJ := $(TEST_HELPER_SRC:%.c=$(BUILD)/%.o)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_REPLAY_BINS := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/tests/replay_%)
TOOL_SRC := $(wildcard tests/tools/*.c)
TOOL_BINS := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tools/%)
BENCH_SRC := $(wildcard tests/bench/bench_*.c)
BENCH_BINS := $(BENCH_SRC:tests/bench/%.c=$(BUILD)/bench/%)

.PHONY: all deps demo test unit integration check-docs bench fuzz fuzz-build \
	install format valgrind clean
.DEFAULT_GOAL := all
# keep objects that pattern rules chain through (tests, fuzz targets)
.SECONDARY:

all: $(BUILD)/librt.a $(BINS)

deps:
	@scripts/deps.sh build

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(RT_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/gen/rt_schemas.c: $(SCHEMAS) scripts/embed.sh
	@mkdir -p $(@D)
	scripts/embed.sh rt_schema_files $(SCHEMAS) > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/rt_schemas.o: $(BUILD)/gen/rt_schemas.c
	$(CC) $(CFLAGS) $(RT_CFLAGS) -c -o $@ $<

$(BUILD)/librt.a: $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/roamtrust-%: $(BUILD)/%/main.o $(BUILD)/lib%.a $(BUILD)/librt.a
	$(CC) $(CFLAGS) $(RT_CFLAGS) $(RT_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/test_%: $(BUILD)/tests/unit/test_%.o $(TEST_HELPER_OBJ) $(PROGRAM_LIBS) $(BUILD)/librt.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(RT_CFLAGS) $(RT_LDFLAGS) -o $@ $^ -lcmocka $(LIBS)

$(BUILD)/tests/replay_%: $(BUILD)/tests/fuzz/%.o $(BUILD)/tests/fuzz/replay_main.o $(PROGRAM_LIBS) $(BUILD)/librt.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(RT_CFLAGS) $(RT_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/bench/bench_%: $(BUILD)/tests/bench/bench_%.o $(TEST_HELPER_OBJ) $(PROGRAM_LIBS) $(BUILD)/librt.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(RT_CFLAGS) $(RT_LDFLAGS) -o $@ $^ -lcmocka $(LIBS)

# Small programs the integration tests drive (test servers, frame crafters).
$(BUILD)/tools/%: $(BUILD)/tests/tools/%.o $(PROGRAM_LIBS) $(BUILD)/librt.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(RT_CFLAGS) $(RT_LDFLAGS) -o $@ $^ $(LIBS)

# The benchmarks are built (not run) by the tests too, so they cannot rot.
test: deps all $(UNIT_BINS) $(FUZZ_REPLAY_BINS) $(TOOL_BINS) $(BENCH_BINS)
	@BUILD=$(BUILD) scripts/run-tests.sh

unit: deps all $(UNIT_BINS) $(FUZZ_REPLAY_BINS) $(BENCH_BINS) $(TOOL_BINS)
	@ONLY=unit BUILD=$(BUILD) scripts/run-tests.sh

integration: deps all $(TOOL_BINS)
	@ONLY=integration BUILD=$(BUILD) scripts/run-tests.sh

demo: deps all
	@BUILD=$(BUILD) examples/demo.sh

bench: deps all $(BENCH_BINS) $(TOOL_BINS)
	@for b in $(BENCH_BINS); do BUILD=$(BUILD) $$b || exit 1; done
	@for s in $(wildcard tests/bench/*.sh); do BUILD=$(BUILD) $$s || exit 1; done

# libFuzzer needs clang; the library is rebuilt with clang into build-fuzz.
fuzz:
	@scripts/deps.sh fuzz
	$(MAKE) BUILD=build-fuzz CC=clang CFLAGS="-O1 -g" \
		SANITIZE=fuzzer-no-link,address,undefined fuzz-build
	@FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/run-fuzz.sh build-fuzz

fuzz-build: $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)

$(BUILD)/fuzz/fuzz_%: $(BUILD)/tests/fuzz/fuzz_%.o $(PROGRAM_LIBS) $(BUILD)/librt.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(RT_CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $^ $(LIBS)

valgrind: all $(UNIT_BINS) $(TOOL_BINS)
	@set -e; for t in $(UNIT_BINS); do \
		echo "valgrind $$t"; \
		valgrind -q --error-exitcode=1 --leak-check=full \
			--errors-for-leak-kinds=definite $$t; \
	done

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/roamtrust/schemas \
		$(DESTDIR)$(PREFIX)/share/doc/roamtrust
	install -m 0755 $(BINS) $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 $(SCHEMAS) $(DESTDIR)$(PREFIX)/share/roamtrust/schemas/
	install -m 0644 README.md $(DESTDIR)$(PREFIX)/share/doc/roamtrust/
	cp -R examples $(DESTDIR)$(PREFIX)/share/doc/roamtrust/

format:
	clang-format-14 -i $(wildcard lib/*.[ch] pki/*.[ch] broker/*.[ch] agent/*.[ch] \
		tests/unit/*.[ch] tests/fuzz/*.[ch] tests/bench/*.[ch] tests/tools/*.[ch])

clean:
	rm -rf build build-* 

-include $(wildcard $(BUILD)/*/*.d $(BUILD)/*/*/*.d)
