"""Regenerate tf1_expected.json by running every conformance program on TensorFlow.

How to regenerate (from the repository root, with a separate venv that has
TensorFlow installed -- TensorFlow is never a dependency of scopejax)::

    /path/to/tf-venv/bin/python tests/conformance/make_tf1_expected.py

e.g. ``/work/tfvenv/bin/python tests/conformance/make_tf1_expected.py`` (made with
``python -m venv /work/tfvenv && /work/tfvenv/bin/pip install tensorflow-cpu``).

Options:
  --out PATH        where to write (default: tf1_expected.json next to this script)
  --no-cross-check  skip the second run with TF1 ref variables

Each program runs on a fresh ``tf.Graph`` in ``tf.compat.v1`` graph mode with TF's
default (resource) variables. Unless ``--no-cross-check`` is given, every program
is run once more with ``tf.compat.v1.disable_resource_variables()`` (TF1 ref
variables) and the programs whose observations differ are listed in the header.
Observations are never written by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import programs  # noqa: E402
import tf_adapter  # noqa: E402
from runner import run_program  # noqa: E402


def run_all() -> dict[str, list]:
    return {
        name: run_program(tf_adapter.tf_api_factory, fn) for name, fn in programs.PROGRAMS.items()
    }


def dump(doc: dict) -> str:
    """JSON with sorted keys, indented, one observation per line."""
    lines = ["{"]
    lines.append(
        ' "header": '
        + json.dumps(doc["header"], indent=1, sort_keys=True).replace("\n", "\n ")
        + ","
    )
    lines.append(' "programs": {')
    names = sorted(doc["programs"])
    for i, name in enumerate(names):
        obs = doc["programs"][name]
        lines.append(f"  {json.dumps(name)}: [")
        for j, pair in enumerate(obs):
            sep = "," if j + 1 < len(obs) else ""
            lines.append("   " + json.dumps(pair, sort_keys=True) + sep)
        lines.append("  ]" + ("," if i + 1 < len(names) else ""))
    lines.append(" }")
    lines.append("}")
    text = "\n".join(lines) + "\n"
    assert json.loads(text) == doc
    return text


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(HERE, "tf1_expected.json"))
    parser.add_argument("--no-cross-check", action="store_true")
    args = parser.parse_args(argv)

    import tensorflow as tf

    results = run_all()
    again = run_all()
    if again != results:
        bad = sorted(n for n in results if results[n] != again[n])
        raise SystemExit(f"non-deterministic programs: {bad}")

    cross = "skipped"
    if not args.no_cross_check:
        tf.compat.v1.disable_resource_variables()
        try:
            ref = run_all()
        finally:
            tf.compat.v1.enable_resource_variables()
        differing = {
            name: [
                label
                for (label, value), (_, ref_value) in zip(results[name], ref[name], strict=False)
                if value != ref_value
            ]
            or ["(different labels)"]
            for name in sorted(results)
            if results[name] != ref[name]
        }
        cross = (
            "identical observations with TF1 ref variables"
            if not differing
            else {"labels differing with TF1 ref variables": differing}
        )

    n_obs = sum(len(v) for v in results.values())
    header = {
        "tensorflow_version": tf.__version__,
        "python_version": platform.python_version(),
        "how": (
            "Made by running tests/conformance/make_tf1_expected.py with a TensorFlow "
            "venv: every program in tests/conformance/programs.py ran on real "
            "TensorFlow (tf.compat.v1 graph mode, a fresh tf.Graph per program, "
            "default resource variables) through tests/conformance/tf_adapter.py; "
            "nothing here is written by hand. Regenerate with: "
            "/path/to/tf-venv/bin/python tests/conformance/make_tf1_expected.py"
        ),
        "error_format": (
            '{"error": first builtin class in the exception MRO (TF subclasses map to '
            'ValueError/TypeError), "message": str(e) cut before "Originally defined '
            'at:" and right-stripped}'
        ),
        "observation_format": "programs[name] is a list of [label, value] in recording order",
        "num_programs": len(results),
        "num_observations": n_obs,
        "ref_variables_cross_check": cross,
    }
    doc = {"header": header, "programs": results}
    text = dump(doc)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text)
    print(
        f"wrote {args.out}: {len(results)} programs, {n_obs} observations, "
        f"{len(text.encode()) / 1024:.1f} KiB; ref-variable cross-check: {cross}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
