# tests/fuzz/fuzz.mk — builds the libFuzzer harnesses (tests/fuzz/fuzz_*.c)
# with clang, AddressSanitizer and UBSan into build/fuzz/. tests/fuzz/run.sh
# (make fuzz) and tests/fuzz/check-fuzz-smoke.sh call it:
#
#   make -f tests/fuzz/fuzz.mk -j2          every harness
#   make -f tests/fuzz/fuzz.mk build/fuzz/fuzz_csv
#
# The code under test is compiled here again with -fsanitize=fuzzer-no-link
# (coverage for libFuzzer), from the same sources as the main build; a
# harness links only the objects it uses (one archive).
FUZZ_CC  ?= clang
FUZZ_DIR ?= build/fuzz
VERSION  := $(shell cat VERSION)
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
CFLAGS   := -std=c11 -D_GNU_SOURCE -O1 -g -Wall -Wextra -Wno-unused-parameter -Isrc $(FUZZ_SAN) \
            -DHERD_VERSION='"$(VERSION)"' -DFUZZ_TOP='"$(CURDIR)"' -MMD -MP
LDLIBS   := -ljansson -lcsv -lsqlite3 -lcurl -lutf8proc -lz -ldnnl -lpthread -lm

# What the harnesses test: the foundation, the sources, the text code, the
# store, and the BERT engine (its CPU path: no CUDA here; oneDNN GEMMs).
SRC      := $(wildcard src/lib/*.c src/sources/*.c src/text/*.c src/http/*.c src/store/*.c) \
            $(wildcard src/bert/*.c)
OBJ      := $(SRC:%.c=$(FUZZ_DIR)/%.o)
HARNESS  := $(patsubst tests/fuzz/%.c,$(FUZZ_DIR)/%,$(wildcard tests/fuzz/fuzz_*.c))

all: $(HARNESS)

$(FUZZ_DIR)/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CFLAGS) -DHERD_GEMM_DNNL -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_DIR)/libherd-fuzz.a: $(OBJ)
	rm -f $@ && ar rcs $@ $^

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_DIR)/libherd-fuzz.a
	$(FUZZ_CC) $(CFLAGS) -fsanitize=fuzzer $< $(FUZZ_DIR)/libherd-fuzz.a $(LDLIBS) -o $@

-include $(shell find $(FUZZ_DIR) -name '*.d' 2>/dev/null)
