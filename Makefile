# Thin wrapper over CMake: the commands a newcomer needs.
#   make run    install what is missing, build, start a server on ./var
#   make test   install what is missing, build with sanitizers, run every test
#   make bench  release build, run the benchmarks (see bench/RESULTS.md)
#   make fuzz   run every fuzz target for FUZZ_SECONDS each
#   make fuzz-merge  the same, then merge the grown corpora into tests/fuzz/corpus (minimised)
#   make soak   mixed load at 16 and 128 connections, SOAK_SECONDS each
#   make deb    build dist/liaison_<version>_<arch>.deb (docs/packaging.md)
#   make package-test  install that package in a clean Debian 12 root and try it (root)
#   make check-valgrind  integration tests with the server under valgrind
JOBS ?= $(shell nproc)
BUILD ?= build
RELEASE ?= build-release
DATA ?= var
LISTEN ?= 127.0.0.1:6143
FUZZ_SECONDS ?= 300
SOAK_SECONDS ?= 60

.PHONY: all deps build release run test bench fuzz fuzz-merge soak check-valgrind clean format deb package-test

all: build

deps:
	@scripts/install-deps

test-deps:
	@scripts/install-deps --test

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Debug -DLIAISON_SANITIZE=ON >/dev/null
	cmake --build $(BUILD) -j $(JOBS)
	scripts/build-web

release: deps
	cmake -S . -B $(RELEASE) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(RELEASE) -j $(JOBS)
	scripts/build-web

run: release
	@scripts/run "$(RELEASE)/liaison" "$(DATA)" "$(LISTEN)"

test: test-deps build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

bench: release
	bench/run "$(RELEASE)"

fuzz: test-deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz

fuzz-merge: test-deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz --merge

# Integration tests with every server under valgrind (no sanitizers: they do not mix).
check-valgrind: test-deps
	cmake -S . -B build-valgrind -DCMAKE_BUILD_TYPE=Debug -DLIAISON_SANITIZE=OFF >/dev/null
	cmake --build build-valgrind -j $(JOBS)
	cd build-valgrind && LIAISON_VALGRIND=1 ctest --output-on-failure -j $(JOBS) -L integration

# Bounded mixed load at 16 and 128 connections (bench/soak; SOAK_SECONDS per phase).
soak: release
	SOAK_SECONDS=$(SOAK_SECONDS) bench/soak "$(RELEASE)/liaison"

deb:
	scripts/package-deb

package-test: deb
	DEB=$$(ls -t dist/liaison_*.deb | head -n 1) scripts/package-test

clean:
	rm -rf $(BUILD) $(RELEASE) build-fuzz dist

format:
	clang-format -i $$(git ls-files 'src/*.c' 'src/*.h' 'tests/*.c' 'bench/*.c')
