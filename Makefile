# Front door for dfqbench. `make help` lists the targets.
BUILD   ?= build
JOBS    ?= $(shell nproc)
DFQ     := $(BUILD)/dfq
STORE   ?= results/runs.sqlite

.PHONY: help setup configure build test teacher clean

help:
	@echo "make setup     install the Debian packages (skips what is installed)"
	@echo "make build     configure and build (Release) into $(BUILD)/"
	@echo "make test      set up, build and run the GoogleTest suite through ctest"
	@echo "make teachers  retrain the committed Fashion-MNIST teachers (models/zoo/)"
	@echo "make clean     remove $(BUILD)/"

setup:
	@bash scripts/setup.sh

$(BUILD)/build.ninja: CMakeLists.txt
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release

configure: setup $(BUILD)/build.ninja

build: configure
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

teachers: build
	$(DFQ) teacher --model lenet5 --dataset fashion-mnist --epochs 8 --seed 0
	$(DFQ) teacher --model resnet20 --dataset fashion-mnist --epochs 25 --seed 0

clean:
	rm -rf $(BUILD)
