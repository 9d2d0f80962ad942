# 薄封装：让 README 的两条命令保持简短。真正的构建由 CMake + Ninja 完成。
BUILD      ?= build
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
ASAN_BUILD ?= build-asan
SAN_CXX    ?= clang++
SAN_GCOV   ?= llvm-cov-14 gcov
TSAN_BUILD ?= build-tsan
JOBS       ?= $(shell nproc)
MODEL      ?= models/dsinfer-tiny-v3

.PHONY: setup configure build run test test-all test-sanitize test-tsan bench coverage format format-check clean

# 系统包列表只在 scripts/setup.sh 中维护。
setup:
	bash scripts/setup.sh

configure:
	@[ -f $(BUILD)/build.ninja ] || cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release

build: configure
	cmake --build $(BUILD) -j $(JOBS)

# 主任务：用内置默认模型续写一段中文和一段英文（流式输出）。
run: build
	./$(BUILD)/dsinfer run -m $(MODEL) -p "天下大事，分久必合" -n 48 --temp 0.7 --top-k 40 --seed 1 --stream
	./$(BUILD)/dsinfer run -m $(MODEL) -p "It is a truth universally acknowledged" -n 48 --temp 0.7 --top-k 40 --seed 1 --stream

# 默认测试集（单元 + 一致性 + 端到端 + 短时 fuzz），2 核机器上数分钟内完成。
test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -LE slow

test-all: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# Sanitizer 构建：-O1 -g 兼顾 CI 时间与可读的调用栈；不构建基准。任何报告都使进程以非零码退出，测试即失败。
SAN_CMAKE_FLAGS = -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g" -DDSINFER_BUILD_BENCH=OFF

# 完整的默认测试集在 AddressSanitizer + UBSan 下运行（越界、释放后使用、泄漏、未定义行为）。
# 同一构建带 gcov 插桩：make coverage 直接用这一遍测试的计数，不必为覆盖率再构建、再跑一遍。
# 用 clang 构建（与 fuzz 构建同一编译器）；clang 写出的覆盖计数要用对应版本的 llvm-cov gcov 读取（SAN_GCOV）。
test-sanitize:
	@[ -f $(ASAN_BUILD)/build.ninja ] || cmake -S . -B $(ASAN_BUILD) -G Ninja $(SAN_CMAKE_FLAGS) \
		-DCMAKE_CXX_COMPILER=$(SAN_CXX) -DDSINFER_SANITIZE=ON -DDSINFER_COVERAGE=ON
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	find $(ASAN_BUILD) -name '*.gcda' -delete
	cd $(ASAN_BUILD) && \
	ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		ctest --output-on-failure -j $(JOBS) -LE slow

# 多线程测试（tests/ 中标为 THREADED 的可执行文件：线程池、多线程内核、MLA / flash 注意力、
# 调度器 / 生成器 / 推测解码、两个引擎并发、用 2 线程的一致性测试、HTTP 服务）在 ThreadSanitizer 下运行。
# tests/tsan.supp 只抑制未插桩的 libcpp-httplib 内部的误报。
test-tsan:
	@[ -f $(TSAN_BUILD)/build.ninja ] || cmake -S . -B $(TSAN_BUILD) -G Ninja $(SAN_CMAKE_FLAGS) -DDSINFER_TSAN=ON
	cmake --build $(TSAN_BUILD) -j $(JOBS)
	cd $(TSAN_BUILD) && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=$(CURDIR)/tests/tsan.supp \
		ctest --output-on-failure -j $(JOBS) -LE slow

# 长时间基准（Google Benchmark 内核 + dsinfer bench），不在 make test 中。
bench: build
	./$(BUILD)/bench/kernel_bench --benchmark_counters_tabular=true

# src/ 行覆盖率（gcovr），要求 ≥ 90%：统计 test-sanitize 那一遍测试（-O1 插桩）。
coverage: test-sanitize
	gcovr -r . --filter 'src/' --object-directory $(ASAN_BUILD) --print-summary --fail-under-line 90 \
		--gcov-executable "$(SAN_GCOV)" --exclude-unreachable-branches --gcov-ignore-parse-errors -j $(JOBS)

# libFuzzer：另一个 clang 构建目录（ASan + UBSan），只构建 fuzz 目标及其依赖的库；
# 每个目标限时 FUZZ_SECONDS 秒，JOBS 个同时跑。目标与语料见 docs/fuzzing.md。
.PHONY: fuzz fuzz-ci
fuzz:
	@[ -f $(FUZZ_BUILD)/build.ninja ] || cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DCMAKE_CXX_COMPILER=clang++ -DDSINFER_FUZZ=ON -DDSINFER_BUILD_TESTS=OFF -DDSINFER_BUILD_BENCH=OFF
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target dsinfer_fuzzers
	scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(JOBS)

# CI 用的短时版本：每个目标 15 秒（用时见 docs/fuzzing.md）。
fuzz-ci:
	$(MAKE) fuzz FUZZ_SECONDS=15

format:
	clang-format -i $$(git ls-files '*.cpp' '*.h')

# 代码格式检查（CI 执行）：任何文件与 .clang-format 不符即失败，修复用 make format。
format-check:
	clang-format --dry-run --Werror $$(git ls-files '*.cpp' '*.h')

clean:
	rm -rf $(BUILD) $(FUZZ_BUILD) $(ASAN_BUILD) $(TSAN_BUILD)
