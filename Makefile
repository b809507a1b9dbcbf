# plughost — the two commands of the README: `make run` and `make test`.
BUILD_DIR ?= build
MESON_OPTS ?= --buildtype=release

.PHONY: deps build run test bench clean format format-check lint

deps:
	@./scripts/install-deps.sh

$(BUILD_DIR)/build.ninja:
	meson setup $(BUILD_DIR) $(MESON_OPTS)

build: deps $(BUILD_DIR)/build.ninja
	ninja -C $(BUILD_DIR)

run: build
	./scripts/run.sh $(BUILD_DIR)

test: build
	./scripts/test.sh $(BUILD_DIR)

# The grpc-go reference hop is built first when Go is installed; without it, its rows are
# skipped with one line.
bench: build
	-./bench/gohop/build.sh $(BUILD_DIR)/bench/gohop
	./$(BUILD_DIR)/bench/plughost-bench

clean:
	rm -rf $(BUILD_DIR)

format:
	./scripts/format.sh

format-check:
	./scripts/format.sh --check

lint: $(BUILD_DIR)/build.ninja
	BUILD_DIR=$(BUILD_DIR) ./scripts/lint.py
