MAKEFLAGS += --no-print-directory

# The two commands: `make run` and `make test`. Everything else is a helper for them.
BUILD      ?= build
BUILD_SAN  ?= build-asan
DATA       ?= var
LISTEN     ?= 127.0.0.1:8080
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all deps build build-asan run test test-plain test-asan bench clean format

all: build

deps:
	@sh scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

build-asan: deps
	@cmake -S . -B $(BUILD_SAN) -DCMAKE_BUILD_TYPE=Debug -DHAIL_SANITIZE=ON >/dev/null
	@cmake --build $(BUILD_SAN) -j $(JOBS)

# Starts hail on $(LISTEN) with the embedded SQLite database in $(DATA)/ and demo data.
run: build
	@sh scripts/demo.sh $(BUILD)/hail $(DATA) $(LISTEN)

test: test-plain test-asan

test-plain: build
	@echo "== tests (plain build) =="
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-asan: build-asan
	@echo "== tests (ASan+UBSan build) =="
	@cd $(BUILD_SAN) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j $(JOBS)

bench: build
	@sh bench/run-all.sh $(BUILD)/hail

format:
	@clang-format -i $$(find src tests -name '*.[ch]')

clean:
	rm -rf $(BUILD) $(BUILD_SAN)
