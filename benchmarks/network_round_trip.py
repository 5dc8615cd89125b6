"""Every zoo network in its reference form through Keras JSON and through the Network
tab's editor: the parameter totals must be the zoo's (printed with the time each takes).
The test suite checks the compact forms; the reference forms take seconds each to build.

    .venv/bin/python benchmarks/network_round_trip.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    from core.models.network_draft import NetworkDraft
    from core.models.networks import network_model, network_text, read_network
    from core.models.registry import ARCHITECTURES, build_model

    failures = 0
    for arch in ARCHITECTURES:
        start = time.perf_counter()
        model = build_model(arch, None, 10, form="reference")
        text = network_text(model)
        through_json = network_model(text).count_params()
        through_editor = network_model(NetworkDraft.from_config(read_network(text)).config()).count_params()
        same = through_json == through_editor == model.count_params()
        failures += not same
        print(f"{arch:16s} {model.count_params():>12,} parameters  JSON {'same' if through_json == model.count_params() else 'DIFFERENT'}"
              f"  editor {'same' if through_editor == model.count_params() else 'DIFFERENT'}"
              f"  {time.perf_counter() - start:5.1f} s", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
