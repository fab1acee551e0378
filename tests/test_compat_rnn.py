"""tf.nn.rnn_cell / tf.contrib.rnn / tf.contrib.legacy_seq2seq on scopejax.compat.v1
against TensorFlow: the programs in tests/compat_recordings/rnn_cases.py, recorded by
record_rnn.py from TF 2.21's tf.compat.v1 graph mode (contrib-only pieces: TF 1.15's
Python carried in the script). Names, shapes, trainability, and outputs for given
weights; dropout statistics; the errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import SimpleNamespace

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import scopejax as sj
import scopejax.compat.v1 as tf

HERE = Path(__file__).parent / "compat_recordings"
sys.path.insert(0, str(HERE))
from rnn_cases import PROGRAMS, RANDOM, X  # noqa: E402

sys.path.remove(str(HERE))
META = json.loads((HERE / "rnn.json").read_text())["programs"]
REC = np.load(HERE / "rnn.npz")

SEQ2SEQ = SimpleNamespace(
    rnn_decoder=tf.contrib.legacy_seq2seq.rnn_decoder,
    basic_rnn_seq2seq=tf.contrib.legacy_seq2seq.basic_rnn_seq2seq,
    tied_rnn_seq2seq=tf.contrib.legacy_seq2seq.tied_rnn_seq2seq,
    embedding_rnn_decoder=tf.contrib.legacy_seq2seq.embedding_rnn_decoder,
    embedding_rnn_seq2seq=tf.contrib.legacy_seq2seq.embedding_rnn_seq2seq,
    attention_decoder=tf.contrib.legacy_seq2seq.attention_decoder,
    embedding_attention_seq2seq=tf.contrib.legacy_seq2seq.embedding_attention_seq2seq,
    sequence_loss=tf.contrib.legacy_seq2seq.sequence_loss,
    sequence_loss_by_example=tf.contrib.legacy_seq2seq.sequence_loss_by_example,
    contrib_sequence_loss=tf.contrib.seq2seq.sequence_loss,
)


def build(pid):
    """The program's transform, inputs, and its store's names, shapes and metadata
    (``init_abstract``: nothing drawn, every value is then set from the recording)."""
    fn, inputs = PROGRAMS[pid]
    net = sj.transform(lambda *xs: jax.tree.leaves(fn(tf, tf.contrib.rnn, SEQ2SEQ, *xs)))
    return net, inputs, net.init_abstract(None, *inputs)


# the inner loop (-m "not slow") replays every other program, the largest never; the full
# suite replays all of them
SLOW_PROGRAMS = {"attention", "char_rnn", "stacked_static_bidirectional"}
FAST_PROGRAMS = {p for p in sorted(PROGRAMS)[::2] if p not in SLOW_PROGRAMS}


@pytest.mark.parametrize(
    "pid",
    [
        p if p in FAST_PROGRAMS else pytest.param(p, marks=pytest.mark.slow)
        for p in sorted(PROGRAMS)
    ],
)
def test_names_shapes_and_outputs_match_tensorflow(pid):
    net, inputs, store = build(pid)
    meta = META[pid]
    assert {n: list(store[n].shape) for n in store.names()} == dict(meta["variables"])
    assert sorted(n for n in store.names() if store.info(n).trainable) == sorted(meta["trainable"])
    store = store.replace({n: REC[f"{pid}/var/{n}"] for n in store.names()})
    # the loss programs (no variables) are many small distinct ops: one compile is cheaper
    apply = jax.jit(net.apply) if not meta["variables"] else net.apply
    out = apply(store, *inputs, rng=jax.random.key(1))
    assert [list(np.shape(o)) for o in out] == meta["outputs"]
    if pid in RANDOM:
        return
    for i, o in enumerate(out):
        np.testing.assert_allclose(o, REC[f"{pid}/out/{i}"], rtol=1e-5, atol=1e-5, err_msg=str(i))


def _lstm_dropout(keep, variational=False, state_keep=1.0):
    def f(x):
        cell = tf.nn.rnn_cell.LSTMCell(4)
        if keep is not None:
            cell = tf.nn.rnn_cell.DropoutWrapper(
                cell,
                output_keep_prob=keep,
                state_keep_prob=state_keep,
                variational_recurrent=variational,
            )
        return tf.nn.dynamic_rnn(cell, x, dtype=tf.float32)

    return sj.transform(f)


@pytest.mark.slow
def test_dropout_wrapper_drops_outputs_and_scales_the_rest():
    plain = _lstm_dropout(None)
    store = plain.init(jax.random.key(0), X)
    ref, _ = plain.apply(store, X)
    out, _ = _lstm_dropout(0.5).apply(store, X, rng=jax.random.key(3))
    kept = np.asarray(out != 0)
    assert 0.3 < float(kept.mean()) < 0.7  # 60 outputs, keep 0.5
    np.testing.assert_allclose(out[kept], 2 * ref[kept], rtol=1e-6)
    with pytest.raises(sj.MissingRNGError):
        _lstm_dropout(0.5).apply(store, X)
    # keep_prob 1.0 is the identity and needs no key
    np.testing.assert_array_equal(_lstm_dropout(1.0).apply(store, X)[0], ref)


def test_variational_dropout_shares_one_mask_over_time_and_batch():
    store = _lstm_dropout(None).init(jax.random.key(0), X)
    out, _ = _lstm_dropout(0.5, variational=True).apply(store, X, rng=jax.random.key(5))
    zero = np.asarray(out == 0)
    assert zero.any() and not zero.all()
    assert (zero == zero[:1, :1]).all()  # the same units dropped at every step and example


@pytest.mark.slow
def test_keep_prob_as_an_argument_under_jit():
    """TF1's keep_prob placeholder becomes an argument: a traced keep probability."""

    def f(x, keep):
        cell = tf.nn.rnn_cell.DropoutWrapper(
            tf.nn.rnn_cell.GRUCell(4), input_keep_prob=keep, output_keep_prob=keep
        )
        return cell(x, cell.zero_state(3, tf.float32))[0]  # one step: a small compile

    x = X[:, 0]
    net = sj.transform(f)
    store = net.init(jax.random.key(0), x, 1.0)
    ref = sj.transform(lambda x: f(x, 1.0)).apply(store, x)
    apply = jax.jit(net.apply)
    key = jax.random.key(4)
    np.testing.assert_allclose(apply(store, x, np.float32(1.0), rng=key), ref, atol=1e-6)
    dropped = np.asarray(apply(store, x, np.float32(0.5), rng=key) == 0)
    assert dropped.any() and not dropped.all()


@pytest.mark.slow
def test_state_dropout_drops_h_and_never_c():
    def f(x, keep):
        cell = tf.nn.rnn_cell.LSTMCell(4)
        if keep is not None:
            cell = tf.nn.rnn_cell.DropoutWrapper(cell, state_keep_prob=keep)
        return cell(x, cell.zero_state(3, tf.float32))

    x = X[:, 0]
    store = sj.transform(lambda x: f(x, None)).init(jax.random.key(0), x)
    out0, (c0, h0) = sj.transform(lambda x: f(x, None)).apply(store, x)
    out, (c, h) = sj.transform(lambda x: f(x, 0.5)).apply(store, x, rng=jax.random.key(2))
    np.testing.assert_array_equal(out, out0)  # the output is not the state
    np.testing.assert_array_equal(c, c0)
    dropped = np.asarray(h == 0)
    assert dropped.any() and not dropped.all()
    np.testing.assert_allclose(h[~dropped], 2 * h0[~dropped], rtol=1e-6)


def test_state_is_tuple_false_is_the_concatenation_and_zero_state_sizes():
    def f(x):
        tup = tf.nn.rnn_cell.BasicLSTMCell(4, name="cell")
        cat = tf.nn.rnn_cell.BasicLSTMCell(4, state_is_tuple=False, name="cell", reuse=True)
        _, s1 = tf.nn.dynamic_rnn(tup, x, dtype=tf.float32, scope="a")
        _, s2 = tf.nn.dynamic_rnn(cat, x, dtype=tf.float32, scope="a")
        return s1, s2, cat.state_size, tup.state_size, cat.zero_state(3, tf.float32).shape

    net = sj.transform(f)
    store = net.init(jax.random.key(0), X)
    assert store.names() == ["a/cell/bias", "a/cell/kernel"]
    (c, h), s2, cat_size, tup_size, zshape = net.apply(store, X)
    np.testing.assert_allclose(s2, np.concatenate([c, h], 1), rtol=1e-6)
    assert cat_size == 8 and tup_size == (4, 4) and zshape == (3, 8)


def test_cell_scope_argument_and_user_cell_subclass():
    class Counter(tf.nn.rnn_cell.RNNCell):
        @property
        def state_size(self):
            return 4

        @property
        def output_size(self):
            return 4

        def call(self, inputs, state):
            w = tf.get_variable("w", [inputs.shape[1], 4])
            return tf.matmul(inputs, w) + state, state + 1.0

    def f(x):
        a = tf.nn.rnn_cell.GRUCell(4)
        a(x, a.zero_state(3, tf.float32), scope="my_gru")
        outputs, state = tf.nn.static_rnn(Counter(), [x, x], dtype=tf.float32)
        return outputs[1], state

    net = sj.transform(f)
    x = X[:, 0]
    store = net.init_abstract(None, x)
    assert sorted({n.rsplit("/", 1)[0] for n in store.names()}) == [
        "my_gru/candidate",
        "my_gru/gates",
        "rnn/counter",
    ]
    w = np.full([4, 4], 0.5, np.float32)
    store = store.replace({n: np.zeros(store[n].shape, np.float32) for n in store.names()})
    out, state = net.apply(store.replace({"rnn/counter/w": w}), x)
    np.testing.assert_allclose(out, x @ w + 1, rtol=1e-6)  # step 2 reads the state 1
    np.testing.assert_array_equal(state, 2)


def test_a_scope_argument_onto_existing_variables_collides_as_in_tf1():
    def f(x):
        a, b = tf.nn.rnn_cell.LSTMCell(4, name="x"), tf.nn.rnn_cell.BasicRNNCell(4)
        a(x, a.zero_state(3, tf.float32))
        b(x, b.zero_state(3, tf.float32), scope="x")  # TF1: "x/kernel already exists"

    with pytest.raises(sj.VariableExistsError, match="x/kernel already exists"):
        sj.transform(f).init_abstract(None, X[:, 0])


def test_bad_arguments_say_what_to_do():
    x = X[:, 0]
    with pytest.raises(ValueError, match="between 0 and 1"):
        sj.transform(lambda: tf.nn.rnn_cell.DropoutWrapper(tf.nn.rnn_cell.GRUCell(2), 1.5)).init(
            jax.random.key(0)
        )
    with pytest.raises(ValueError, match="state_is_tuple=False"):
        sj.transform(
            lambda: tf.nn.rnn_cell.MultiRNNCell([tf.nn.rnn_cell.LSTMCell(2)], state_is_tuple=False)
        ).init(jax.random.key(0))
    with pytest.raises(ValueError, match="num_units must be the input width"):
        sj.transform(
            lambda x: tf.nn.dynamic_rnn(
                tf.nn.rnn_cell.ResidualWrapper(tf.nn.rnn_cell.GRUCell(3)), X, dtype=tf.float32
            )
        ).init(jax.random.key(0), x)
    with pytest.raises(NotImplementedError, match="nested inputs"):
        sj.transform(
            lambda x: tf.nn.dynamic_rnn(tf.nn.rnn_cell.GRUCell(3), (X, X), dtype=tf.float32)
        ).init(jax.random.key(0), x)
    with pytest.raises(NotImplementedError, match="var_list"):
        sj.transform(lambda: tf.nn.rnn_cell.LSTMCell(2, trainable=False)).init(jax.random.key(0))
    with pytest.raises(TypeError, match="unexpected keyword"):
        sj.transform(lambda: tf.nn.rnn_cell.GRUCell(2, forget_bias=1.0)).init(jax.random.key(0))
    with pytest.raises(ValueError, match="same"):
        tf.contrib.legacy_seq2seq.sequence_loss([x], [x, x], [x])
    with pytest.raises(ValueError, match="cannot be set to True"):
        tf.contrib.seq2seq.sequence_loss(
            jnp.zeros([2, 3, 4]),
            jnp.zeros([2, 3], jnp.int32),
            jnp.ones([2, 3]),
            sum_over_batch=True,
        )


# --- tf.contrib.training.HParams: TF 1.15's documented behaviour --------------------------
HParams = tf.contrib.training.HParams


def test_hparams_construct_read_and_set():
    hp = HParams(learning_rate=0.1, num_layers=2, cell="lstm", use_bn=False, sizes=[128, 64])
    assert (hp.learning_rate, hp.num_layers, hp.cell, hp.use_bn) == (0.1, 2, "lstm", False)
    assert hp.values() == {
        "learning_rate": 0.1,
        "num_layers": 2,
        "cell": "lstm",
        "use_bn": False,
        "sizes": [128, 64],
    }
    hp.set_hparam("learning_rate", 1)  # an int for a float is cast
    assert hp.learning_rate == 1.0 and type(hp.learning_rate) is float
    hp.add_hparam("dropout", 0.5)
    assert "dropout" in hp and "nope" not in hp
    assert hp.get("dropout") == 0.5 and hp.get("nope", 3) == 3
    hp.del_hparam("dropout")
    assert "dropout" not in hp
    assert str(HParams(a=1, b="x")) == "a=1,b=x"
    assert repr(HParams(b=2, a=1)) == "HParams([('a', 1), ('b', 2)])"


@pytest.mark.parametrize(
    "name,value,match",
    [
        ("num_layers", 1.5, "Could not cast hparam 'num_layers'"),
        ("num_layers", True, "Could not cast"),
        ("use_bn", 1, "Could not cast"),
        ("cell", 3, "Could not cast"),
        ("learning_rate", "0.1", "Could not cast"),
        ("num_layers", [1, 2], "Must not pass a list for single-valued parameter: num_layers"),
        ("sizes", 3, "Must pass a list for multi-valued parameter: sizes"),
        ("sizes", [1, 2.5], "Could not cast"),
    ],
)
def test_hparams_refuse_a_change_of_type(name, value, match):
    hp = HParams(learning_rate=0.1, num_layers=2, cell="lstm", use_bn=False, sizes=[128, 64])
    with pytest.raises(ValueError, match=match):
        hp.set_hparam(name, value)


def test_hparams_parse():
    hp = HParams(lr=0.1, n=2, name="a", flag=False, sizes=[1], rates=[0.5])
    hp.parse("lr=1,n=3, name=abc,flag=true,sizes=[4,5, 6],rates=[1 2]")
    assert hp.values() == {
        "lr": 1.0,
        "n": 3,
        "name": "abc",
        "flag": True,
        "sizes": [4, 5, 6],
        "rates": [1.0, 2.0],
    }
    assert hp.parse("flag=0").flag is False and hp.parse("flag=True").flag is True
    for text, match in [
        ("n=1.5", "Could not parse hparam 'n' of type 'int' with value '1.5'"),
        ("flag=yes", "Could not parse hparam 'flag' of type 'bool'"),
        ("zz=1", "Unknown hyperparameter type for zz"),
        ("n=1,n=2", "Multiple assignments to variable 'n'"),
        ("n=[1,2]", "Must not pass a list for single-valued parameter: n"),
        ("sizes=3", "Must pass a list for multi-valued parameter: sizes"),
        ("sizes[0]=[1]", "Assignment of a list to a list index"),
        ("=3", "Malformed hyperparameter value: =3"),
    ]:
        with pytest.raises(ValueError, match=match):
            HParams(n=2, flag=False, sizes=[1]).parse(text)


def test_hparams_json_and_dict_round_trip():
    hp = HParams(lr=0.1, sizes=[1, 2], name="x", fn=max)
    assert json.loads(hp.to_json()) == {"lr": 0.1, "sizes": [1, 2], "name": "x"}  # callables out
    assert hp.to_json(sort_keys=True, indent=1).startswith('{\n "lr"')
    hp.parse_json('{"lr": 0.5, "sizes": [3]}')
    assert (hp.lr, hp.sizes) == (0.5, [3])
    assert hp.override_from_dict({"name": "y"}) is hp and hp.name == "y"
    with pytest.raises(KeyError):
        hp.override_from_dict({"missing": 1})


def test_hparams_reserved_names_empty_lists_and_defaults():
    with pytest.raises(ValueError, match="reserved: values"):
        HParams(values=1)
    with pytest.raises(ValueError, match="cannot be empty: a"):
        HParams(a=[])
    with pytest.raises(ValueError, match="incompatible with default"):
        HParams(a=1).get("a", "text")
    with pytest.raises(NotImplementedError, match="HParamDef"):
        HParams(hparam_def=object())
    hp = HParams(model_structure={"k": 1}, a=None)
    assert hp.get_model_structure() == {"k": 1}
    hp.set_hparam("a", "anything")  # a None hyperparameter takes any value
    assert hp.a == "anything"
