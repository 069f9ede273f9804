MAKEFLAGS += --no-print-directory

# The two commands: `make run` and `make test`. Everything else is a helper for them.
BUILD      ?= build
BUILD_SAN  ?= build-asan
BUILD_TSAN ?= build-tsan
DATA       ?= var
LISTEN     ?= 127.0.0.1:8080
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all deps build build-asan build-tsan run test test-plain test-asan test-tsan bench clean format

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
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-asan: build-asan
	@echo "== tests (ASan+UBSan build) =="
	@cd $(BUILD_SAN) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j $(JOBS)

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

format:
	@clang-format -i $$(find src tests -name '*.[ch]')

clean:
	rm -rf $(BUILD) $(BUILD_SAN) $(BUILD_TSAN)
