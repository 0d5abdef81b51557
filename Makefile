# Front door for dfqbench. `make help` lists the targets.
BUILD   ?= build
JOBS    ?= $(shell nproc)
DFQ     := $(BUILD)/dfq
STORE   ?= results/runs.sqlite

.PHONY: help setup configure build test teachers compare clean

# `make compare`: methods x bits x seeds on one teacher, with a short schedule by default.
METHODS ?= adasg gdfq noise
BITS    ?= 4
SEEDS   ?= 0
MODEL   ?= resnet20
DATASET ?= fashion-mnist
SUITE   ?= compare
PRESET  ?= short
SET     ?=

help:
	@echo "make setup     install the Debian packages (skips what is installed)"
	@echo "make build     configure and build (Release) into $(BUILD)/"
	@echo "make test      set up, build and run the GoogleTest suite through ctest"
	@echo "make compare   run METHODS x BITS x SEEDS (short schedule) and list the results"
	@echo "               e.g. make compare METHODS=\"adasg gdfq\" BITS=\"3 4\" SEEDS=\"0 1 2\""
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

compare: build
	@set -e; for m in $(METHODS); do for b in $(BITS); do for s in $(SEEDS); do \
	  sets=""; for kv in $(SET); do sets="$$sets --set $$kv"; done; \
	  echo "== $$m W$${b}A$${b} seed $$s"; \
	  $(DFQ) --store $(STORE) run --suite $(SUITE) --method $$m --model $(MODEL) --dataset $(DATASET) \
	    --wbits $$b --abits $$b --seed $$s --preset $(PRESET) $$sets; \
	done; done; done
	$(DFQ) --store $(STORE) runs --suite $(SUITE) --model $(MODEL) --status done --limit 0

clean:
	rm -rf $(BUILD)
