"""Record the tf.summary programs of summary_tag_cases.py from TensorFlow's graph mode (run
in a TensorFlow venv):

    /work/tfvenv/bin/python tests/compat_recordings/record_summary_tags.py

Each summary op is run and its serialized ``Summary`` proto parsed: the tags in order,
the kind of each value (``simple_value``, ``histo``, ``image``), a scalar's value, a
histogram's count, sum, min and max. Writes summary_tags.json.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import tensorflow as tf

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from summary_tag_cases import PROGRAMS, X  # noqa: E402

v1 = tf.compat.v1
v1.disable_eager_execution()


def parse(serialized: bytes) -> list[dict]:
    out = []
    for value in v1.Summary.FromString(serialized).value:
        kind = value.WhichOneof("value")
        row: dict = {
            "tag": value.tag,
            "kind": {"simple_value": "scalar", "histo": "histogram"}.get(kind, kind),
        }
        if kind == "simple_value":
            row["value"] = value.simple_value
        elif kind == "histo":
            h = value.histo
            row.update({"num": h.num, "sum": h.sum, "min": h.min, "max": h.max})
        elif kind == "image":
            row.update({"height": value.image.height, "width": value.image.width})
        out.append(row)
    return out


def main() -> None:
    meta: dict = {"tensorflow": tf.__version__, "programs": {}}
    for name, fn in PROGRAMS.items():
        with tf.Graph().as_default():
            out = fn(v1, v1.constant(X))
            fetch = {k: v for k, v in out.items() if v is not None}
            with v1.Session() as sess:
                got = sess.run(fetch)
        meta["programs"][name] = {k: (parse(got[k]) if k in got else None) for k in out}
    (HERE / "summary_tags.json").write_text(json.dumps(meta, indent=1) + "\n")
    print(f"{len(PROGRAMS)} programs")


if __name__ == "__main__":
    main()
