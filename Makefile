# SPDX-License-Identifier: GPL-2.0-or-later
# The two commands of the README:
#   make run    install what is missing, build, start the daemon (etc/trunkline.conf)
#   make test   install what is missing, build with ASan+UBSan, run every test
# and, for developers:
#   make fuzz   60 s of libFuzzer per target (FUZZ_SECONDS=60)
#   make bench  build and run the benchmarks (see docs/PERFORMANCE.md)
JOBS        ?= $(shell nproc)
BUILD       ?= build
ASAN_BUILD  ?= build-asan
FUZZ_BUILD  ?= build-fuzz
BENCH_BUILD ?= build-bench
FUZZ_SECONDS ?= 60
CONF        ?= etc/trunkline.conf

.PHONY: all run test fuzz bench clean check-clang

all:
	scripts/deps.sh run
	scripts/npm-deps.sh
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD) -j$(JOBS)

run: all
	exec $(BUILD)/trunkline -c $(CONF)

test:
	scripts/deps.sh test
	scripts/npm-deps.sh
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DTL_SANITIZE=ON -DTL_WERROR=ON >/dev/null
	cmake --build $(ASAN_BUILD) -j$(JOBS)
	cd $(ASAN_BUILD) && ctest --output-on-failure -j$(JOBS)

fuzz:
	scripts/deps.sh fuzz
	CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTL_FUZZ=ON >/dev/null
	cmake --build $(FUZZ_BUILD) -j$(JOBS)
	scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

bench:
	scripts/deps.sh bench
	cmake -S . -B $(BENCH_BUILD) -DCMAKE_BUILD_TYPE=Release -DTL_BENCH=ON >/dev/null
	cmake --build $(BENCH_BUILD) -j$(JOBS)
	scripts/bench.sh $(BENCH_BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) $(BENCH_BUILD) build-clang

# gcc is the default compiler; CI also builds everything with clang -Werror.
check-clang:
	scripts/deps.sh fuzz
	CC=clang cmake -S . -B build-clang -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTL_WERROR=ON >/dev/null
	cmake --build build-clang -j$(JOBS)
