"""The engine's explanations: heat maps and feature maps of the canvas's drawing or of a
test image, computed in the engine's thread (see :class:`gui.workers.engine.Engine`)."""

from __future__ import annotations

import logging

import numpy as np

log = logging.getLogger("cnn_studio")


def explanation(predictor, picture: np.ndarray, options: dict) -> dict:
    """What :meth:`gui.workers.engine.Engine.explain` answers.

    Args:
        picture: the canvas's drawing (grey), its photo (RGB), or with ``prepared`` an image
            as the model takes it (a test image).
        options: ``method`` ("" for no heat map), ``gradcam_layer`` ("" for the last
            convolution), ``maps_layer`` (the layer whose feature maps are wanted, "" for
            none), ``prepared``.

    Returns:
        ``heat`` (over the picture, or None), ``method``, ``gradcam_layer`` (the layer used),
        ``gradcam_layers`` and ``layers`` (the layers of feature maps), ``layer`` and ``grid``
        (the feature maps asked for, tiled), ``reading`` (the class read) and ``error``.
    """
    from core.inspect.explain import feature_grid, feature_map_layers, feature_maps
    from core.inspect.heatmaps import explain_input, explain_picture, gradcam_layers

    method, maps_layer = options.get("method") or "", options.get("maps_layer") or ""
    out = {"heat": None, "method": method, "gradcam_layer": None, "gradcam_layers": [], "layers": [],
           "layer": maps_layer, "grid": None, "reading": None, "error": None}
    if predictor is None:
        return out
    model = predictor.model
    try:
        out["layers"] = feature_map_layers(model)
        out["gradcam_layers"] = gradcam_layers(model)
        gradcam_layer = (options.get("gradcam_layer") or None) if method == "gradcam" else None
        if options.get("prepared"):
            model_input = np.asarray(picture, np.float32).reshape(predictor.input_shape)
            if method:
                probabilities = predictor.predict(model_input)
                out["heat"] = explain_input(model, model_input, method, int(probabilities.argmax()), gradcam_layer)
                out["reading"] = predictor.class_names[int(probabilities.argmax())]
        else:
            photo = picture.ndim == 3
            if method:
                explained = explain_picture(model, picture, method, photo, gradcam_layer)
                if explained is not None:
                    out["heat"] = explained.model_heat if photo else explained.heat
                    out["reading"] = predictor.class_names[explained.class_index]
                    out["gradcam_layer"] = explained.layer
            model_input = drawing_input(predictor, picture) if maps_layer else None
        if method == "gradcam" and out["gradcam_layer"] is None:
            from core.inspect.heatmaps import default_gradcam_layer

            out["gradcam_layer"] = gradcam_layer or default_gradcam_layer(model)
        if maps_layer and model_input is not None:
            out["grid"] = feature_grid(feature_maps(model, model_input, maps_layer))
    except ValueError as e:  # Grad-CAM of an MLP, a layer no longer there
        out["error"] = str(e)
    except Exception as e:  # shown under the view, never raised into Qt
        log.exception("Explaining a drawing failed")
        out["error"] = f"Could not compute this: {type(e).__name__}: {e}"
    return out


def embedding_map_result(predictor, metadata: dict, count: int, on_batch) -> tuple[object, dict]:
    """The map of :mod:`core.inspect.embedding` for the canvas's model on its dataset's test
    set: the map itself (kept by the engine to place drawings) and what the Map tab shows.

    Raises:
        ValueError, core.data.datasets.DatasetUnavailableError: the test set cannot be read,
            or does not fit the model.
    """
    from core.inspect.embedding import embedding_map
    from core.inspect.evaluation import mismatch, test_set

    dataset = metadata.get("dataset") or "mnist"
    data = test_set(dataset, predictor.input_shape)
    problem = mismatch(predictor.input_shape, predictor.num_classes, data, dataset)
    if problem:
        raise ValueError(problem[0].upper() + problem[1:])
    if len(data.x_test) < 2:
        raise ValueError(f"{dataset} has {len(data.x_test)} test image(s): too few to map. A folder keeps a fifth "
                         "of each class's images for testing; add images to it.")
    found = embedding_map(predictor.model, data.x_test, data.y_test, count, on_batch=on_batch)
    images = np.asarray(data.x_test[found.indices])
    if images.shape[-1] == 1:
        images = images[..., 0]
    return found, {"points": found.points, "labels": found.labels, "predicted": found.predicted,
                   "indices": found.indices, "images": images, "class_names": list(predictor.class_names),
                   "layer": found.layer, "explained": [float(v) for v in found.explained], "dataset": dataset}


def drawing_input(predictor, picture: np.ndarray) -> np.ndarray | None:
    """The canvas's drawing (grey) or photo (RGB) as the model takes it; None without ink."""
    from core.reading.preprocess import fit_to_input, mnist_style_with_transform

    if picture.ndim == 3:
        from core.reading.photos import photo_input

        return photo_input(picture, predictor.input_shape).astype(np.float32)
    found = mnist_style_with_transform(picture)
    return None if found is None else fit_to_input(found[0], predictor.input_shape)


def network_check(config: dict, options: dict) -> dict:
    """The editor's live check (:func:`core.models.networks.check_network`), or ``error``."""
    from core.models.networks import check_network

    try:
        return {**check_network(config, int(options.get("classes", 10)), int(options.get("images", 54_000)),
                                int(options.get("batch_size", 128)), options.get("dangling") or []), "error": None}
    except ValueError as e:
        return {"layers": [], "problems": [{"layer": None, "message": str(e)}], "summary": None, "estimate": None,
                "error": str(e)}


def network_export(config: dict, kind: str, target: str) -> str:
    """Writes a network: ``kind`` "network" saves it in My networks as ``target`` (a name),
    "file" as the Keras JSON file ``target``, "code" as the Python file ``target``. Returns
    the path written.

    Raises:
        ValueError: a network that does not build, or a bad name; OSError: cannot write.
    """
    from pathlib import Path

    from core.atomic import write_text_atomically
    from core.models.codegen import network_code
    from core.models.networks import network_model, network_text, save_network

    if kind == "code":
        return str(write_text_atomically(target, network_code(config)))
    model = network_model(config)
    if kind == "file":
        return str(write_text_atomically(target, network_text(model) + "\n"))
    return str(save_network(model, target)) if kind == "network" else str(Path(target))
