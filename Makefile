MAKEFLAGS += --no-print-directory

# The two commands: `make run` and `make test`. Everything else is a helper for them.
BUILD      ?= build
BUILD_SAN  ?= build-asan
BUILD_TSAN ?= build-tsan
DATA       ?= var
LISTEN     ?= 127.0.0.1:8080
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
# ctest's -j for the plain and ASan runs (make test TEST_JOBS=4). Most tests wait on
# sockets, child processes and timers, so more than the cores can pay off on a quiet
# machine; on a shared, loaded one it made tests time out. At most 2 web/e2e/* tests
# (hail + Chromium each) run at once whatever the -j (CMake's HAIL_E2E_SLOTS); they run
# in the ASan build only (CMake's HAIL_E2E), and test_load_timed runs alone. The TSan
# run keeps -j $(JOBS).
TEST_JOBS  ?= $(JOBS)

.PHONY: all deps build build-asan build-tsan run test test-plain test-asan test-tsan bench clean format fuzz

all: build

deps:
	@sh scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

build-asan: deps
	@cmake -S . -B $(BUILD_SAN) -DCMAKE_BUILD_TYPE=Debug -DHAIL_SANITIZE=ON >/dev/null
	@cmake --build $(BUILD_SAN) -j $(JOBS)

build-tsan: deps
	@cmake -S . -B $(BUILD_TSAN) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHAIL_TSAN=ON >/dev/null
	@cmake --build $(BUILD_TSAN) -j $(JOBS)

# Starts hail on $(LISTEN) with the embedded SQLite database in $(DATA)/ and demo data.
run: build
	@sh scripts/demo.sh $(BUILD)/hail $(DATA) $(LISTEN)

test: test-plain test-asan test-tsan

test-plain: build
	@echo "== tests (plain build) =="
	@cd $(BUILD) && ctest --output-on-failure -j $(TEST_JOBS)

test-asan: build-asan
	@echo "== tests (ASan+UBSan build) =="
	@cd $(BUILD_SAN) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j $(TEST_JOBS)

# The threaded tests (ctest label "threads") under ThreadSanitizer; any report
# from any hail process fails the run (the tsan/reports test prints them).
# gcc 12's TSan runtime fails on kernels with vm.mmap_rnd_bits=32 ("unexpected
# memory mapping"), so the tests run without address randomisation where the
# system allows it (setarch -R; the personality is inherited by every child).
NORAND = $(shell setarch $$(uname -m) -R true 2>/dev/null && echo setarch $$(uname -m) -R)
test-tsan: build-tsan
	@echo "== tests (ThreadSanitizer build, threaded tests) =="
	@cd $(BUILD_TSAN) && $(NORAND) ctest -L threads --output-on-failure -j $(JOBS)

bench: build
	@sh bench/run-all.sh $(BUILD)/hail

# Fuzzing (not part of `make test`): each target in fuzz/ is built with clang's
# libFuzzer, ASan and UBSan against the sources it needs, then runs for
# FUZZ_SECONDS from its seeds (fuzz/seeds/<name>; the corpus it grows stays in
# $(BUILD_FUZZ)/corpus-<name>, a crashing input in $(BUILD_FUZZ)/crash-*).
BUILD_FUZZ   ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_CFLAGS   = -g -O1 -std=c17 -D_GNU_SOURCE -fno-omit-frame-pointer -Isrc \
                -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_RUN      = -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
                -artifact_prefix=$(BUILD_FUZZ)/ -print_final_stats=1
FUZZ_MUSTACHE = fuzz/fuzz_mustache.c src/core/mustache.c src/core/html_text.c src/core/buf.c \
                src/core/err.c
# The classifier of what comes back (mail/classify: GMime parsing and text rules).
FUZZ_CLASSIFY = fuzz/fuzz_classify.c src/mail/classify.c src/core/utf8.c src/core/err.c
fuzz:
	@mkdir -p $(BUILD_FUZZ)/corpus-mustache
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_MUSTACHE) $$(pkg-config --cflags --libs jansson) \
	  -o $(BUILD_FUZZ)/fuzz_mustache
	$(BUILD_FUZZ)/fuzz_mustache $(FUZZ_RUN) -dict=fuzz/mustache.dict \
	  $(BUILD_FUZZ)/corpus-mustache fuzz/seeds/mustache
	@mkdir -p $(BUILD_FUZZ)/corpus-classify
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_CLASSIFY) $$(pkg-config --cflags --libs gmime-3.0 jansson) \
	  -lpthread -o $(BUILD_FUZZ)/fuzz_classify
	$(BUILD_FUZZ)/fuzz_classify $(FUZZ_RUN) -max_len=16384 $(BUILD_FUZZ)/corpus-classify \
	  fuzz/seeds/classify

format:
	@clang-format -i $$(find src tests -name '*.[ch]')

clean:
	rm -rf $(BUILD) $(BUILD_SAN) $(BUILD_TSAN) $(BUILD_FUZZ)
