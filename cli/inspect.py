"""``main.py explain``: where a trained model looks in an image (saliency, Grad-CAM,
occlusion), as a heat map written over the image and where its mass lies."""

from __future__ import annotations

import json

from cli.options import EXIT_FAILED, EXIT_OK, EXIT_USAGE, err


def cmd_explain(args) -> int:
    import cv2

    from core.atomic import write_bytes_atomically
    from core.inspect.heatmaps import METHODS, explain_picture, heat_overlay, heat_summary
    from core.reading.imagefiles import ImageFileError, read_image
    from core.reading.photos import is_photo_model, photo_rgb
    from core.storage.modelio import ModelFileError, load_model

    try:
        loaded = load_model(args.model)
    except ModelFileError as e:
        err(f"error: {e}")
        return EXIT_FAILED
    try:
        image = read_image(args.image)
    except ImageFileError as e:
        err(f"error: {e}")
        return EXIT_FAILED
    photo = is_photo_model(loaded.class_names)
    picture = photo_rgb(image) if photo else image
    try:
        explained = explain_picture(loaded.model, picture, args.method, photo, args.layer)
    except ValueError as e:  # Grad-CAM of an MLP, a layer that is not there
        err(f"error: {e}")
        return EXIT_USAGE
    if explained is None:
        err(f"error: {args.image}: no ink found (the image is blank).")
        return EXIT_FAILED
    label = loaded.class_names[explained.class_index]
    confidence = float(explained.probabilities.max())
    if args.out:
        overlay = heat_overlay(picture[..., ::-1] if photo else picture, explained.heat)
        ok, encoded = cv2.imencode(".png", overlay)
        try:
            write_bytes_atomically(args.out, encoded.tobytes())
        except OSError as e:
            err(f"error: cannot write {args.out}: {e.strerror or e}. Choose another folder.")
            return EXIT_FAILED
    summary = heat_summary(explained.heat)
    if args.json:
        print(json.dumps({"image": args.image, "method": args.method, "layer": explained.layer,
                          "label": label, "confidence": confidence, "out": args.out, "heat": summary}))
        return EXIT_OK
    centre = summary["centre_of_mass"]
    where = (f"centre of its mass at x={centre['x']:.0f}, y={centre['y']:.0f} of {summary['width']}×"
             f"{summary['height']}" if centre else "no pixel changed the score")
    halves = summary["halves"]
    print(f"{args.image}: {label} ({100 * confidence:.1f}%); {METHODS[args.method]}"
          f"{' on ' + explained.layer if explained.layer else ''}: {where}; left {100 * halves['left']:.0f}% "
          f"right {100 * halves['right']:.0f}%, top {100 * halves['top']:.0f}% bottom {100 * halves['bottom']:.0f}%"
          + (f"; written to {args.out}" if args.out else ""))
    return EXIT_OK


def cmd_lrfind(args) -> int:
    """The learning-rate range test of a run's settings: the loss at each rate, and a suggestion."""
    from cli.train import _failed, train_config
    from core.data.datasets import DatasetUnavailableError
    from core.training.config import SettingsError
    from core.training.lr_finder import find_learning_rate

    try:
        config = train_config(args)
        config.validate()
    except SettingsError as e:
        return _failed(e)
    except ValueError as e:
        err(f"error: {e}")
        return EXIT_USAGE
    shown = []

    def progress(step: dict) -> None:
        if not args.json and step["step"] % 20 == 0:
            shown.append(step)
            err(f"step {step['step']}/{step['steps']}: rate {step['lr']:.2e}, loss {step['loss']:.4f}")

    try:
        found = find_learning_rate(config, start_lr=args.start_lr, end_lr=args.end_lr, steps=args.steps,
                                   on_step=progress)
    except (SettingsError, DatasetUnavailableError) as e:
        return _failed(e)
    except ValueError as e:
        err(f"error: {e}")
        return EXIT_USAGE
    if args.json:
        print(json.dumps({"arch": config.arch, "optimizer": config.optimizer, "batch_size": config.batch_size,
                          **found}))
        return EXIT_OK
    end = "the loss blew up there" if found["blew_up"] else "the loss had not blown up yet"
    print(f"{len(found['lrs'])} steps from {found['lrs'][0]:.1e} to {found['lrs'][-1]:.1e} ({end}).")
    if found["suggested_lr"] is None:
        print("The loss never fell: no rate to suggest. Check the data, or try a wider range (--end-lr).")
        return EXIT_OK
    print(f"Suggested learning rate: {found['suggested_lr']:.2g} (a tenth of the rate where the loss was lowest, "
          f"not below where it fell fastest, {found['steepest_lr']:.2g}). Train with --lr "
          f"{found['suggested_lr']:.2g}.")
    return EXIT_OK
