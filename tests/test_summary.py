"""sj.summary: graphs and summaries written with the tensorboard package, read back with
tensorboard's own event-file loader (no server: see test_tensorboard_server.py)."""

from __future__ import annotations

import glob
import os
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import scopejax as sj

pytest.importorskip("tensorboard")

from tensorboard.backend.event_processing.event_file_loader import (  # noqa: E402
    EventFileLoader,
)
from tensorboard.compat.proto import graph_pb2  # noqa: E402


def events(logdir: str) -> list:
    out = []
    for path in sorted(glob.glob(os.path.join(logdir, "events.out.tfevents.*"))):
        out += list(EventFileLoader(path).Load())
    return out


def read_graph(logdir: str) -> graph_pb2.GraphDef:
    (raw,) = [e.graph_def for e in events(logdir) if e.HasField("graph_def")]
    g = graph_pb2.GraphDef()
    g.ParseFromString(raw)
    return g


def model(x, training=True):
    with sj.name_scope("model"):
        h = sj.layers.dense(x, 4, activation=jax.nn.relu, name="l1")

        def body(c, _):
            with sj.variable_scope("cell"):
                return jnp.tanh(c @ sj.get_variable("w", [4, 4])), None

        h, _ = sj.scan(body, h, None, length=5)
        h = sj.cond(h.sum() > 0, lambda h: h * 2, lambda h: h - 1, h)
        with sj.variable_scope("blocks"):
            h = sj.layer_stack(3, lambda h: jnp.tanh(sj.nn.Dense(4)(h)))(h)
        if training:
            h = h + 1.0
        return sj.layers.dense(h, 1, name="l2")


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    net = sj.transform(model)
    x = jnp.ones([2, 3])
    store = net.init(jax.random.key(0), x)
    logdir = str(tmp_path_factory.mktemp("graph"))
    path = sj.summary.write_graph(logdir, net.apply, store, x, training=False)
    return path, read_graph(logdir), store


def test_write_graph_returns_the_event_file(written):
    path, _, _ = written
    assert os.path.basename(path).startswith("events.out.tfevents.") and os.path.isfile(path)


def test_variables_are_variable_nodes_with_shape_and_dtype(written):
    _, g, store = written
    nodes = {n.name: n for n in g.node}
    for name in store.names():
        node = nodes[name]
        assert node.op == "VariableV2" and list(node.input) == []
        assert [d.size for d in node.attr["shape"].shape.dim] == list(store[name].shape)
        assert node.attr["dtype"].type == 1  # DT_FLOAT
        assert node.attr["trainable"].b is True
    assert nodes["inputs/1"].op == "Placeholder"
    assert b"trainable_variables" in nodes["l1/kernel"].attr["collections"].list.s


def test_ops_are_named_by_scope_with_edges_from_variables(written):
    _, g, _ = written
    nodes = {n.name: n for n in g.node}
    matmul = nodes["model/l1/dot_general"]
    assert set(matmul.input) == {"inputs/1", "l1/kernel"}
    assert "l1/bias" in nodes["model/l1/broadcast_in_dim"].input
    assert list(nodes["model/l2/dot_general"].input)[1] == "l2/kernel"
    # every edge points at a node of the graph
    for n in g.node:
        for i in n.input:
            assert i.split(":")[0] in nodes, (n.name, i)
    # a static Python bool stayed static: training=False left the `+ 1.0` out
    assert not any(n.op == "add" and n.name.startswith("model/add") for n in g.node)


def test_loops_and_branches_are_one_box_not_unrolled(written):
    _, g, _ = written
    names = [n.name for n in g.node]
    body = [n for n in names if n.startswith("model/scan/body/")]
    assert body == ["model/scan/body/cell/dot_general", "model/scan/body/cell/tanh"]
    assert "model/scan/scan" in names  # the loop node, yielding the results
    loop = next(n for n in g.node if n.name == "model/scan/scan")
    assert loop.attr["length"].s == b"5"
    assert any(n.startswith("model/cond/branch_0/") for n in names)
    assert any(n.startswith("model/cond/branch_1/") for n in names)
    # layer_stack: one scan box with the block once, under the variable scope
    stack = [n for n in names if n.startswith("model/blocks/scan")]
    assert sum(n.endswith("/dot_general") for n in stack) == 1, stack
    assert (
        "blocks/dense/kernel"
        in next(n for n in g.node if n.name.endswith("/dot_general") and n.name in stack).input
    )
    # the body reads the carry from outside the box: an edge into it
    inner = next(n for n in g.node if n.name == "model/scan/body/cell/dot_general")
    assert set(inner.input) == {"model/l1/relu/max", "cell/w"}


def test_node_names_are_unique_and_calls_become_boxes():
    def f(x):
        with jax.named_scope("a"):
            y = jnp.sin(x) + jnp.sin(x)
            y = jax.jit(lambda z: jnp.cos(z) * 2, inline=False)(y)
            return jax.lax.while_loop(lambda c: c.sum() < 100.0, lambda c: c * 2.0, y)

    g = sj.summary.graph_def(f, jnp.ones(3))
    names = [n.name for n in g.node]
    assert len(names) == len(set(names))
    assert {"a/sin", "a/sin_1", "a/add"} <= set(names)
    assert {"a/lambda/cos", "a/lambda/mul"} <= set(names)  # the jit: a box named by the function
    assert any(n.startswith("a/while/body/") for n in names), names
    assert any(n.startswith("a/while/cond/") for n in names), names


def test_gradient_graph_groups_forward_and_backward_scopes():
    net = sj.transform(lambda x: sj.layers.dense(x, 2, name="l1").sum())
    x = jnp.ones([1, 3])
    store = net.init(jax.random.key(0), x)
    g = sj.summary.graph_def(jax.grad(net.apply), store, x)
    tops = {n.name.split("/")[0] for n in g.node}
    assert {"l1", "inputs", "jvp", "transpose"} <= tops, tops


@pytest.mark.slow
def test_tensorboard_is_imported_lazily_and_tensorflow_never():
    code = (
        "import sys, scopejax as sj; assert 'tensorboard' not in sys.modules; "
        "import tempfile; w = sj.summary.create_file_writer(tempfile.mkdtemp()); "
        "w.scalar('a', 1.0, 0); w.close(); assert 'tensorflow' not in sys.modules, 'TF imported'"
    )
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(sj.__file__)))
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_missing_tensorboard_says_what_to_install(monkeypatch):
    import builtins

    from scopejax._src.summary import _tb

    real = builtins.__import__

    def no_tb(name, *args, **kwargs):
        if name.startswith("tensorboard"):
            raise ImportError("No module named 'tensorboard'")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tb)
    monkeypatch.setattr(_tb.importlib, "import_module", lambda n: no_tb(n))
    with pytest.raises(ImportError, match=r"pip install 'scopejax\[summary\]'"):
        sj.summary.create_file_writer("unused")


def test_numpy_only_is_fine():
    g = sj.summary.graph_def(lambda x: np.float32(2) * x, np.ones(2, np.float32))
    assert [n.op for n in g.node] == ["Placeholder", "mul"]


# -- summaries ----------------------------------------------------------------------------------
def values_by_tag(logdir: str) -> dict[str, list[tuple[int, object, str]]]:
    """``{tag: [(step, value as ndarray, plugin name)]}`` read back with tensorboard."""
    from tensorboard.util import tensor_util

    out: dict[str, list] = {}
    for e in events(logdir):
        for v in e.summary.value:
            arr = tensor_util.make_ndarray(v.tensor)
            out.setdefault(v.tag, []).append((e.step, arr, v.metadata.plugin_data.plugin_name))
    return out


def test_scalar_histogram_image_text_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    with sj.summary.create_file_writer(tmp_path) as w:
        for step in range(4):
            w.scalar("train/loss", jnp.float32(1.0 / (step + 1)), step)
        w.histogram("weights", rng.normal(size=1000), step=3, buckets=10)
        w.image("digit", rng.uniform(size=(8, 8)), step=1)
        w.image("batch", rng.integers(0, 255, size=(5, 4, 6, 3), dtype=np.uint8), step=2)
        w.text("note", "**scopejax**", step=0)
    got = values_by_tag(str(tmp_path))
    loss = got["train/loss"]
    assert [s for s, _, _ in loss] == [0, 1, 2, 3] and loss[0][2] == "scalars"
    np.testing.assert_allclose([float(a) for _, a, _ in loss], [1, 1 / 2, 1 / 3, 1 / 4], rtol=1e-6)
    ((_, hist, plugin),) = got["weights"]
    assert plugin == "histograms" and hist.shape == (10, 3) and hist[:, 2].sum() == 1000
    ((_, img, plugin),) = got["digit"]
    assert plugin == "images" and img[0] == b"8" and img[1] == b"8"
    assert img[2].startswith(b"\x89PNG")
    ((_, imgs, _),) = got["batch"]
    assert len(imgs) == 2 + 3 and imgs[0] == b"6" and imgs[1] == b"4"  # width, height, 3 PNGs
    ((_, text, plugin),) = got["note"]
    assert plugin == "text" and text == b"**scopejax**"


def test_png_fallback_encoder_decodes():
    from PIL import Image

    from scopejax._src.summary.png import encode_zlib, to_uint8

    rng = np.random.default_rng(1)
    for shape in [(5, 7), (5, 7, 3), (5, 7, 4)]:
        img = to_uint8(rng.integers(0, 255, size=shape, dtype=np.uint8))
        back = np.asarray(Image.open(__import__("io").BytesIO(encode_zlib(img))))
        np.testing.assert_array_equal(back.reshape(img.shape), img)
    with pytest.raises(ValueError, match="channel axis last"):
        to_uint8(np.zeros((3, 4, 5)))


def test_closed_writer_says_what_to_do(tmp_path):
    w = sj.summary.create_file_writer(tmp_path)
    w.close()
    w.close()  # a second close does nothing
    with pytest.raises(ValueError, match="is closed; create a new one"):
        w.scalar("a", 1.0, 0)
    assert "closed" in repr(w) and w.path.startswith(str(tmp_path))


def test_fast_checksum_matches_tensorboards():
    from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c

    from scopejax._src.summary._tb import _masked_crc32c_fast

    pytest.importorskip("google_crc32c")
    for data in [b"", b"x", bytes(range(256)) * 5]:
        assert _masked_crc32c_fast(data) == masked_crc32c(data)


def test_events_are_held_until_max_queue_or_flush(tmp_path):
    w = sj.summary.create_file_writer(tmp_path, max_queue=3, flush_secs=1e9)
    w.scalar("a", 1.0, 0)
    w.scalar("a", 2.0, 1)
    assert "a" not in values_by_tag(str(tmp_path))
    w.scalar("a", 3.0, 2)  # the third: written
    assert len(values_by_tag(str(tmp_path))["a"]) == 3
    w.scalar("a", 4.0, 3)
    w.flush()
    assert len(values_by_tag(str(tmp_path))["a"]) == 4
    w.close()


# -- fit(..., logdir=) ---------------------------------------------------------------------------
@pytest.mark.slow
def test_fit_logs_loss_metrics_learning_rate_and_norms_per_collection(tmp_path):
    import optax

    def loss_fn(x, y):
        h = sj.layers.dense(x, 4, activation=jax.nn.relu, name="backbone")
        for v in sj.get_collection(sj.GraphKeys.GLOBAL_VARIABLES, scope="backbone/"):
            sj.add_to_collection("BACKBONE", v)
        err = sj.layers.dense(h, 1, name="head")[:, 0] - y
        return jnp.mean(err**2), {"mae": jnp.mean(jnp.abs(err))}

    lr = optax.linear_schedule(1e-2, 0.0, 20)
    trainer = sj.train.minimize(
        loss_fn, optax.inject_hyperparams(optax.sgd)(learning_rate=lr), has_aux=True
    )
    x, y = jnp.ones([8, 3]), jnp.ones([8])
    state = trainer.init(jax.random.key(0), x, y)
    history: list = []
    state = sj.train.fit(
        trainer,
        state,
        [(x, y)] * 12,
        progress=False,
        history=history,
        logdir=tmp_path,
        log_every=5,
    )
    got = values_by_tag(str(tmp_path))
    assert [s for s, _, _ in got["train/loss"]] == [0, 5, 10]
    np.testing.assert_allclose(
        [float(a) for _, a, _ in got["train/loss"]],
        [history[i]["loss"] for i in (0, 5, 10)],
        rtol=1e-6,
    )
    assert "train/mae" in got
    np.testing.assert_allclose(
        [float(a) for _, a, _ in got["train/learning_rate"]],
        [float(lr(i)) for i in (0, 5, 10)],
        rtol=1e-6,
    )
    for tag in (
        "grad_norm/trainable_variables",
        "update_norm/trainable_variables",
        "grad_norm/BACKBONE",
        "update_norm/BACKBONE",
    ):
        assert [s for s, _, _ in got[tag]] == [0, 5, 10], tag
    # sgd: the update is -lr * grad, per collection
    g0, u0 = float(got["grad_norm/BACKBONE"][0][1]), float(got["update_norm/BACKBONE"][0][1])
    assert u0 == pytest.approx(1e-2 * g0, rel=1e-5)
    assert int(state.step) == 12


def test_fit_without_logdir_writes_nothing_and_rejects_bad_interval(tmp_path):
    import optax

    trainer = sj.train.minimize(lambda x: jnp.sum(sj.layers.dense(x, 1) ** 2), optax.sgd(0.1))
    x = jnp.ones([2, 3])
    state = trainer.init(jax.random.key(0), x)
    with pytest.raises(ValueError, match="log_every must be an int >= 1"):
        sj.train.fit(trainer, state, [(x,)], progress=False, logdir=tmp_path, log_every=0)
    state = sj.train.fit(trainer, state, [(x,)], progress=False)
    assert int(state.step) == 1


@pytest.mark.slow
def test_demo_logdir_writes_graph_and_runs(tmp_path):
    from scopejax import demo

    demo.main(["--smoke", "--epochs", "1", "--no-progress", "--logdir", str(tmp_path)])
    g = read_graph(str(tmp_path / "digits"))
    tops = {n.name.split("/")[0] for n in g.node if n.op != "Placeholder"}
    assert {"backbone", "neck", "digits"} <= tops
    assert {"backbone/shared", "backbone/shared_1"} <= {
        "/".join(n.name.split("/")[:2]) for n in g.node
    }
    got = values_by_tag(str(tmp_path / "digits"))
    assert {"train/loss", "train/accuracy", "train/learning_rate", "grad_norm/BACKBONE"} <= set(got)
    assert "train/loss" in values_by_tag(str(tmp_path / "parity"))
