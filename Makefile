# pth2onnx — see README.md.  Targets:
#   make            build build/pth2onnx
#   make deps       install what the build and the tests need (Debian + npm)
#   make demo       convert the bundled sample checkpoint
#   make test       build and run every test (closing line: N passed, N failed)
#   make asan       the same tests under AddressSanitizer + UBSan
#   make bench      conversion speed and memory against cp and torch.onnx
#   make zoo        parity of every built-in model (long; not part of make test)
#   make clean

CC      ?= cc
BUILD   ?= build
PYTHON  := /usr/bin/python3
ONNX_PROTO ?= /usr/include/onnx/onnx.proto

WARN    := -Wall -Wextra -Wshadow -Wpointer-arith -Wstrict-prototypes \
           -Wmissing-prototypes -Wformat=2 -Wundef -Wvla -Wcast-align \
           -Wno-format-nonliteral -Wno-format-truncation -Werror
CFLAGS  ?= -O2 -g
SAN     ?=
override CFLAGS += -std=c11 -D_GNU_SOURCE $(WARN) -Isrc -Iopsets -Iconverters -I$(BUILD)/gen $(SAN)
override LDFLAGS += $(SAN)
LDLIBS  := -lprotobuf-c -lminizip -lz -lcjson -lm

SRCS    := $(wildcard src/*.c converters/*.c opsets/*.c)
ARCHS   := $(sort $(wildcard samples/*.arch)) $(sort $(wildcard library/*.arch))
OBJS    := $(SRCS:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/gen/onnx.pb-c.o \
           $(BUILD)/obj/gen/builtin_archs.o
LIBOBJS := $(filter-out $(BUILD)/obj/src/main.o,$(OBJS))
DEPSTAMP := $(BUILD)/.deps-ok

.PHONY: all deps demo test asan bench zoo clean unit
all: $(BUILD)/pth2onnx

# ---- dependencies -------------------------------------------------------
APT_PKGS := gcc make libprotobuf-c-dev protobuf-c-compiler libonnx-dev \
            libminizip-dev zlib1g-dev libcjson-dev libcmocka-dev pkg-config \
            python3-torch python3-torchvision python3-onnx python3-pytest \
            python3-numpy
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

deps:
	@missing=$$(for p in $(APT_PKGS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	command -v npm >/dev/null || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null || exit 1; \
	fi
	@[ -d tests/ort/node_modules/onnxruntime-node ] || \
	  (cd tests/ort && npm install --ignore-scripts --no-audit --no-fund --loglevel=error)
	@mkdir -p $(BUILD) && touch $(DEPSTAMP)

$(DEPSTAMP):
	@$(MAKE) --no-print-directory deps

# ---- protobuf-c code, generated from the system's ONNX schema -----------
# one run makes both files: the header is made by the .c rule (a rule
# with two targets would run twice under make -j)
$(BUILD)/gen/onnx.pb-c.c: $(ONNX_PROTO) proto/generate.sh | $(DEPSTAMP)
	@sh proto/generate.sh $(ONNX_PROTO) $(BUILD)/gen

$(BUILD)/gen/onnx.pb-c.h: $(BUILD)/gen/onnx.pb-c.c
	@test -f $@ || (rm -f $<; $(MAKE) --no-print-directory $<)

$(BUILD)/obj/gen/onnx.pb-c.o: $(BUILD)/gen/onnx.pb-c.c
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -Werror -Wmissing-prototypes -Wcast-align,$(CFLAGS)) -c $< -o $@

# ---- built-in architectures: samples/*.arch embedded as C strings ------
$(BUILD)/gen/builtin_archs.c: $(ARCHS) src/embed_archs.sh
	@mkdir -p $(dir $@)
	@sh src/embed_archs.sh $@ $(ARCHS)

$(BUILD)/obj/gen/builtin_archs.o: $(BUILD)/gen/builtin_archs.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

# ---- the program --------------------------------------------------------
$(BUILD)/obj/%.o: %.c $(BUILD)/gen/onnx.pb-c.h | $(DEPSTAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/pth2onnx: $(OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS)

-include $(OBJS:.o=.d)

# ---- unit tests (cmocka) ------------------------------------------------
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/unit/%)

$(BUILD)/unit/%: tests/unit/%.c $(LIBOBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Wno-missing-prototypes -MMD -MP $< $(LIBOBJS) -o $@ $(LDLIBS) -lcmocka

-include $(UNIT_BINS:=.d)

unit: $(UNIT_BINS)

# ---- the two README commands --------------------------------------------
demo: $(BUILD)/pth2onnx
	@mkdir -p $(BUILD)/demo
	$(BUILD)/pth2onnx inspect samples/lenet.pth
	$(BUILD)/pth2onnx convert samples/lenet.pth --arch samples/lenet.arch -o $(BUILD)/demo/lenet.onnx
	@echo "wrote $(BUILD)/demo/lenet.onnx: open it in Netron, or run it with ONNX Runtime"

test: $(BUILD)/pth2onnx $(UNIT_BINS)
	@BUILD=$(BUILD) PYTHON=$(PYTHON) sh tests/run.sh

asan:
	@$(MAKE) --no-print-directory BUILD=build-asan CFLAGS="-O1 -g" \
	  SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" test

bench: $(BUILD)/pth2onnx
	@BUILD=$(BUILD) $(PYTHON) tests/bench.py

# tests/test_zoo_*.py check one model per family; P2O_ZOO=all checks them all
zoo: $(BUILD)/pth2onnx
	@P2O_ZOO=all P2O_BUILD=$(BUILD) $(PYTHON) -m pytest -q -p no:cacheprovider -rA tests/test_zoo_*.py

clean:
	rm -rf build build-asan
