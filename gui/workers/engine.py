"""The engine thread: every TensorFlow call the window needs, off the UI thread.

One :class:`Engine` lives in its own ``QThread``. The window talks to it through queued
signals and gets plain data back (dicts, NumPy arrays, strings). It loads TensorFlow,
builds models for summaries, owns the predictor the canvas uses (always a copy of the
weights, never the model being trained), and loads and saves model files.
"""

from __future__ import annotations

import copy
import itertools
import json
import logging
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from core.paths import RESOURCES
from core.runtime.device import GraphBusy, building_graphs
from core.training.snapshots import EpochWeights
from gui.workers.threads import pin_python_thread_state

log = logging.getLogger("cnn_studio")

BUNDLED_MODEL = RESOURCES / "models" / "lenet5_mnist.keras"
#: Summaries the engine remembers (each a few kB).
SUMMARIES_KEPT = 32

_request_ids = itertools.count(1)


def next_request_id() -> int:
    """A new id for a request to the engine: its answer carries the id, so every asker
    knows its own answers (ids are never reused in a process)."""
    return next(_request_ids)


class Engine(QObject):
    """TensorFlow work for the window; lives in a worker thread."""

    ready = Signal(str)  # device description
    devices = Signal(list)  # [(name, label)] of core.runtime.device.list_devices
    summary_ready = Signal(int, dict)  # request id, core.models.summary.to_dict(...)
    summary_failed = Signal(int, str)
    model_ready = Signal(dict)  # description, input_shape, class_names, source, path
    model_failed = Signal(str)
    prediction_ready = Signal(int, object)  # request id, a core.reading.inference.Reading or None
    explanation_ready = Signal(int, dict)  # request id, see gui.workers.engine_inspect.explanation
    evaluation_ready = Signal(dict)  # core.inspect.evaluation scores, "images" of the mistakes, names
    evaluation_failed = Signal(str)
    prediction_failed = Signal(int, str)  # request id, what went wrong (the canvas reads on)
    saved = Signal(str, str)  # path, which weights ("" for the model's own, else e.g. "the weights of epoch 2 of 5")
    save_failed = Signal(str)
    exported = Signal(str, bool)  # a message, whether it worked
    # The epochs whose weights are kept, their size in bytes (a Python int: no 32-bit
    # overflow), and what was let go to stay within the cap ("" when nothing).
    epochs_kept = Signal(list, object, str)
    augmentation_ready = Signal(int, object, object, list, bool)  # request id, images, labels, class names, augmented
    augmentation_failed = Signal(int, str)
    map_ready = Signal(int, dict)  # request id, see gui.workers.engine_inspect.embedding_map_result
    map_progress = Signal(int, int, int)  # request id, images done, images in all
    map_failed = Signal(int, str)
    placed = Signal(int, object)  # request id, the drawing's (x, y) on the map, or None

    def __init__(self):
        super().__init__()
        self._predictor = None
        self._summaries: dict[str, dict] = {}
        self._metadata: dict = {}
        self._latest_prediction = 0
        self._epochs = EpochWeights()  # the run's epochs, for the scrubber
        self._keep_epochs = True
        self._run_name = ""
        self._shown_epoch: int | None = None  # the scrubber's epoch, when not the newest
        self._map = None  # the Map tab's map (core.inspect.embedding.EmbeddingMap), to place drawings

    def note_prediction_request(self, request_id: int) -> None:
        """Called from the UI thread: older queued predictions can be skipped."""
        self._latest_prediction = request_id

    @Slot(str)
    def start(self, model_path: str = ""):
        """Loads TensorFlow, then ``model_path`` for the canvas (the bundled model when it
        is "" or cannot be used)."""
        pin_python_thread_state()
        from core.runtime.device import describe_device

        try:
            device = describe_device()
        except Exception as e:  # TensorFlow itself failed to load
            self.ready.emit(f"TensorFlow failed to load: {e}")
            return
        self.ready.emit(device)
        from core.runtime.device import list_devices

        try:
            self.devices.emit(list_devices())
        except Exception:  # the device list stays as it was; the window works on
            log.exception("Listing the devices failed")
        if model_path and self._predictor is None and Path(model_path).is_file():
            self._load(Path(model_path), source="file")
        if BUNDLED_MODEL.is_file() and self._predictor is None:
            self._load(BUNDLED_MODEL, source="bundled")

    @Slot(int, str, object, int, str, dict)
    def summarize(self, request_id: int, arch: str, input_shape, classes: int, form: str, options: dict):
        pin_python_thread_state()
        from core.runtime.device import load_tensorflow

        load_tensorflow()  # first, quietly: a summary may be the engine's first TensorFlow work
        from core.models.registry import build_model
        from core.models.summary import summarize, to_dict

        # A reference network takes seconds to build: one asked again (the Layers tab
        # revisited, Start's cost check after it) is answered from memory.
        key = json.dumps([arch, list(input_shape), classes, form, options], sort_keys=True, default=str)
        try:
            if key not in self._summaries:
                with building_graphs(timeout=1.0):
                    model = build_model(arch, input_shape, classes, form=form, **options)
                if len(self._summaries) >= SUMMARIES_KEPT:
                    self._summaries.pop(next(iter(self._summaries)))
                self._summaries[key] = to_dict(summarize(model), arch)
            self.summary_ready.emit(request_id, copy.deepcopy(self._summaries[key]))
        except (ValueError, GraphBusy) as e:
            self.summary_failed.emit(request_id, str(e))
        except Exception as e:
            log.exception("Building a summary failed")
            self.summary_failed.emit(request_id, f"Could not build {arch}: {type(e).__name__}: {e}")

    @Slot(int, str, dict, int, bool)
    def preview_augmentation(self, request_id: int, dataset: str, options: dict, seed: int, augment: bool):
        """The first training images as training will feed them (More settings ▸ Preview
        augmentation): through the training's own pipeline when ``augment``, else as read."""
        pin_python_thread_state()
        from core.data.augment import PREVIEW_IMAGES, preview_batch
        from core.data.datasets import DatasetUnavailableError, load_dataset

        try:
            with building_graphs(timeout=1.0):
                data = load_dataset(dataset, val_split=0.0, limit=PREVIEW_IMAGES, **options)
                if augment:
                    images, labels = preview_batch(data.x_train, data.y_train, PREVIEW_IMAGES, seed,
                                                   photos=data.input_shape[-1] == 3)
                else:
                    picked = np.arange(min(PREVIEW_IMAGES, len(data.x_train)))
                    images, labels = np.asarray(data.x_train[picked], np.float32), np.asarray(data.y_train)[picked]
            self.augmentation_ready.emit(request_id, images, labels, list(data.info.class_names), augment)
        except (GraphBusy, DatasetUnavailableError, ValueError) as e:
            self.augmentation_failed.emit(request_id, str(e))
        except Exception as e:
            log.exception("Previewing the augmentation failed")
            self.augmentation_failed.emit(request_id, f"Could not prepare the images: {type(e).__name__}: {e}")

    @Slot(dict)
    def use_snapshot(self, snapshot: dict):
        """Predicts with a training snapshot: a model copy the trainer built and let go.

        Its fast path is traced once training no longer holds the graph lock; until
        then predictions run eagerly.
        """
        pin_python_thread_state()
        from core.reading.inference import Predictor

        try:
            self._predictor = Predictor(snapshot["model"], snapshot["class_names"], trace=False)
        except Exception as e:
            log.exception("Using the trained weights failed")
            self.model_failed.emit(f"Could not use the trained weights: {e}")
            return
        self._metadata = dict(snapshot.get("metadata") or {})
        self._shown_epoch = None
        epoch = snapshot.get("epoch")
        if self._keep_epochs and epoch:
            self._run_name = snapshot["description"].split(",")[0]
            self._epochs.add(epoch, snapshot["model"].get_weights())
            self.epochs_kept.emit(self._epochs.epochs(), self._epochs.nbytes, self._epochs.note())
        self.model_ready.emit(self._describe(snapshot["description"], "training", None))

    @Slot(bool)
    def begin_run(self, keep_epochs: bool):
        """A training run begins: forget the last run's epochs; keep this one's or not."""
        pin_python_thread_state()
        self._epochs, self._keep_epochs, self._shown_epoch = EpochWeights(), keep_epochs, None
        self.epochs_kept.emit([], 0, "")

    @Slot(int)
    def use_epoch(self, epoch: int):
        """The canvas (and Why?, Activations, Evaluation) read with the weights the last
        run had after ``epoch``."""
        pin_python_thread_state()
        weights = self._epochs.get(epoch)
        if weights is None or self._predictor is None:
            return
        try:
            self._predictor.model.set_weights(weights)
        except Exception as e:  # answered, never raised into Qt
            log.exception("Using an epoch's weights failed")
            self.model_failed.emit(f"Could not use the weights of epoch {epoch}: {type(e).__name__}: {e}")
            return
        last = self._epochs.epochs()[-1]
        self._shown_epoch = epoch if epoch != last else None
        text = f"{self._run_name}, weights of epoch {epoch} of {last}"
        self.model_ready.emit(self._describe(text, "training", None))

    @Slot(str)
    def load_model(self, path: str):
        pin_python_thread_state()
        self._load(Path(path), source="file")

    def _load(self, path: Path, source: str):
        from core.reading.inference import Predictor
        from core.storage.modelio import ModelFileError, load_model

        try:
            with building_graphs(timeout=1.0):
                loaded = load_model(path)
                predictor = Predictor(loaded.model, loaded.class_names)
        except GraphBusy as e:
            if source != "bundled":  # the first snapshot of the training will do
                self.model_failed.emit(str(e))
            return
        except ModelFileError as e:
            self.model_failed.emit(str(e))
            return
        except Exception as e:
            log.exception("Loading a model failed")
            self.model_failed.emit(f"{path.name} could not be used: {type(e).__name__}: {e}")
            return
        self._predictor, self._metadata, self._shown_epoch = predictor, loaded.metadata, None
        self.model_ready.emit(self._describe(loaded.description, source, str(path)))

    def _describe(self, description: str, source: str, path) -> dict:
        p = self._predictor
        return {
            "description": description, "source": source, "path": path,
            "input_shape": list(p.input_shape), "class_names": list(p.class_names),
        }

    @Slot(dict)
    def update_metadata(self, metadata: dict):
        """Metadata of the finished run (test accuracy…), saved with the model."""
        pin_python_thread_state()
        self._metadata = dict(metadata)

    @Slot(int, object, bool)
    def predict(self, request_id: int, drawing, split: bool = False):
        """Reads the drawing (see :func:`core.reading.inference.read_digits`): one digit, or with
        ``split`` each digit of a row."""
        pin_python_thread_state()
        from core.reading.inference import read_digits, read_photo

        if request_id < self._latest_prediction:
            return  # a newer drawing is already queued
        reading = None
        if self._predictor is not None:
            try:  # a photo (RGB) from the image area, or a drawing (grey)
                reading = (read_photo(self._predictor, drawing) if drawing.ndim == 3
                           else read_digits(self._predictor, drawing, split))
            except ValueError:  # nothing to read in it
                reading = None
            except Exception as e:  # every request is answered: the canvas must keep reading
                log.exception("Reading a drawing failed")
                self.prediction_failed.emit(request_id, f"{type(e).__name__}: {e}")
                return
        self.prediction_ready.emit(request_id, reading)

    @Slot(int, object, dict)
    def explain(self, request_id: int, picture, options: dict):
        """A heat map of the drawing (or photo, or test image) and the feature maps of a layer
        (see :func:`gui.workers.engine_inspect.explanation`)."""
        pin_python_thread_state()
        from gui.workers.engine_inspect import explanation

        self.explanation_ready.emit(request_id, explanation(self._predictor, picture, options))

    @Slot(int, int)
    def compute_map(self, request_id: int, count: int):
        """The Map tab: ``count`` test images placed by the model's last hidden layer."""
        pin_python_thread_state()
        from core.data.datasets import DatasetUnavailableError
        from gui.workers.engine_inspect import embedding_map_result

        self._map = None
        if self._predictor is None:
            self.map_failed.emit(request_id, "There is no model yet: train one or open one.")
            return
        try:
            with building_graphs(timeout=1.0):
                self._map, result = embedding_map_result(
                    self._predictor, self._metadata, count,
                    lambda done, total: self.map_progress.emit(request_id, done, total))
        except (DatasetUnavailableError, GraphBusy, ValueError) as e:
            self.map_failed.emit(request_id, str(e))
            return
        except Exception as e:
            log.exception("Making the map failed")
            self.map_failed.emit(request_id, f"Could not make the map: {type(e).__name__}: {e}")
            return
        self.map_ready.emit(request_id, result)

    @Slot(int, object)
    def place_drawing(self, request_id: int, picture):
        """Where the canvas's drawing lands on the last map (None: no map, or no ink)."""
        pin_python_thread_state()
        from gui.workers.engine_inspect import drawing_input

        point = None
        try:
            if self._map is not None and self._predictor is not None:
                model_input = drawing_input(self._predictor, picture)
                if model_input is not None:
                    point = self._map.place(model_input)
        except Exception:  # the map simply shows no drawing
            log.exception("Placing the drawing on the map failed")
        self.placed.emit(request_id, point)

    @Slot()
    def evaluate(self):
        """Measures the canvas's model on its dataset's test set."""
        pin_python_thread_state()
        from core.data.datasets import DatasetUnavailableError
        from core.inspect.evaluation import evaluate_classifier, mismatch, test_set

        if self._predictor is None:
            self.evaluation_failed.emit("There is no model to evaluate yet: train one or open one.")
            return
        model = self._predictor.model
        dataset = self._metadata.get("dataset") or "mnist"
        try:
            data = test_set(dataset, self._predictor.input_shape)
            problem = mismatch(self._predictor.input_shape, self._predictor.num_classes, data, dataset)
            if problem:
                self.evaluation_failed.emit(problem[0].upper() + problem[1:])
                return
            with building_graphs(timeout=1.0):
                scores = evaluate_classifier(model, data.x_test, data.y_test, mistakes=32, predictions=True)
        except (DatasetUnavailableError, GraphBusy, ValueError) as e:
            self.evaluation_failed.emit(str(e))
            return
        except Exception as e:
            log.exception("Evaluating failed")
            self.evaluation_failed.emit(f"Could not evaluate: {type(e).__name__}: {e}")
            return
        images = data.x_test[[m["index"] for m in scores["mistakes"]]]
        grey = data.x_test.ndim == 4 and data.x_test.shape[-1] == 1
        # The whole test set goes along (not copied) so that a cell of the confusion matrix
        # can show its images.
        scores.update(dataset=dataset, class_names=list(self._predictor.class_names),
                      images=images[..., 0] if grey else images, labels=data.y_test,
                      test_images=data.x_test[..., 0] if grey else data.x_test)
        self.evaluation_ready.emit(scores)

    @Slot(str)
    def save_model(self, path: str):
        pin_python_thread_state()
        from core.storage.modelio import ModelFileError, save_model

        if self._predictor is None:
            self.save_failed.emit("There is no model to save yet: train one first.")
            return
        from core.storage.modelio import epoch_metadata

        metadata, which = self._metadata or None, ""
        if self._shown_epoch is not None:  # the scrubber's epoch: saved as that epoch, not as the run's end
            last = self._epochs.epochs()[-1]
            metadata = epoch_metadata(self._metadata, self._shown_epoch, last)
            which = f"the weights of epoch {self._shown_epoch} of {last}"
        try:
            saved = save_model(self._predictor.model, path, metadata)
        except ModelFileError as e:
            self.save_failed.emit(str(e))
            return
        except Exception as e:
            log.exception("Saving a model failed")
            self.save_failed.emit(f"Could not save the model: {type(e).__name__}: {e}")
            return
        self.saved.emit(str(saved), which)

    @Slot(str, str, str)
    def export_model(self, source: str, destination: str, fmt: str):
        """Exports the model file ``source`` (see :func:`core.storage.export.export_model`)."""
        pin_python_thread_state()
        from core.storage.export import FORMATS, export_model
        from core.storage.modelio import ModelFileError

        try:
            with building_graphs(timeout=1.0):
                written = export_model(source, destination, fmt)
        except (ModelFileError, GraphBusy, ValueError) as e:
            self.exported.emit(f"Export failed: {e}", False)
            return
        except Exception as e:
            log.exception("Exporting a model failed")
            self.exported.emit(f"Export failed: {type(e).__name__}: {e}", False)
            return
        self.exported.emit(f"Exported as {FORMATS[fmt][0]} to {written}", True)
