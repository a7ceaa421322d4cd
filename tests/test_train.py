"""The vmapped sweep step against the same runs trained one at a time."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import collective_jax as cj
from collective_jax import sweep as sweep_lib

NUM_EXAMPLES, SEQ_LEN, NUM_LABELS, VOCAB = 64, 16, 4, 50


def make_data():
  rng = np.random.default_rng(0)
  input_ids = rng.integers(5, VOCAB, size=(NUM_EXAMPLES, SEQ_LEN)).astype(np.int32)
  input_ids[:, 0] = 2
  input_ids[::3, -4:] = 0  # some padding
  signal_input_ids = input_ids.copy()
  signal_input_ids[:, 1::4] = 4  # the signal token
  labels = (rng.random((NUM_EXAMPLES, NUM_LABELS)) < 0.3).astype(np.float32)
  labels[np.arange(NUM_EXAMPLES), rng.integers(0, NUM_LABELS, NUM_EXAMPLES)] = 1.0
  return cj.TrainData(jnp.asarray(input_ids), jnp.asarray(signal_input_ids), jnp.asarray(labels))


def make_setup(dropout_rate=0.0):
  model = cj.EncoderClassifier(cj.encoder_config(
      "test", VOCAB, NUM_LABELS, max_length=SEQ_LEN, dropout_rate=dropout_rate))
  batch_size, epochs = 8, 2
  steps_per_epoch = NUM_EXAMPLES // batch_size
  tx = cj.make_optimizer(1e-2, steps_per_epoch * epochs, warmup_steps=2)
  step_config = cj.StepConfig(batch_size=batch_size, steps_per_epoch=steps_per_epoch, target=1)
  train_step = cj.make_train_step(model, tx, cj.feature_label, step_config)
  return model, tx, train_step, steps_per_epoch * epochs


def init_runs(model, tx, runs, alphas):
  states = []
  for run in runs:
    keys = sweep_lib.seed_keys(run.seed)
    states.append(cj.init_run_state(model, tx, keys["init"], jax.random.key_data(keys["dropout"]),
                                    SEQ_LEN))
  inputs = sweep_lib.run_inputs(runs, alphas, NUM_EXAMPLES, epochs=2)
  return states, inputs


@pytest.mark.parametrize("dropout_rate", [0.0, 0.1])
def test_vmapped_equals_one_at_a_time(dropout_rate):
  data = make_data()
  model, tx, train_step, total_steps = make_setup(dropout_rate)
  alphas = [0.0, 0.25, 0.5]
  runs = sweep_lib.plan_runs(alphas, seeds=[0, 1])
  states, inputs = init_runs(model, tx, runs, alphas)

  stacked = jax.tree.map(lambda *x: jnp.stack(x), *states)
  sweep = cj.make_multi_step(cj.make_sweep_step(train_step), total_steps)
  stacked, sweep_losses = sweep(stacked, inputs, data, jnp.int32(0))

  single = cj.make_multi_step(train_step, total_steps)
  for position, state in enumerate(states):
    run_inputs = jax.tree.map(lambda x: x[position], inputs)
    state, losses = single(state, run_inputs, data, jnp.int32(0))
    np.testing.assert_allclose(losses, sweep_losses[:, position], rtol=1e-5, atol=1e-6)
    for (path, alone), together in zip(jax.tree_util.tree_leaves_with_path(state.params),
                                       jax.tree.leaves(stacked.params)):
      if "key" in jax.tree_util.keystr(path) and "bias" in jax.tree_util.keystr(path):
        # Softmax attention is invariant to the key bias, so its gradient is rounding noise.
        # Adam rescales that noise to full-size steps, so it differs between any two programs.
        continue
      np.testing.assert_allclose(alone, together[position], rtol=1e-4, atol=1e-5,
                                 err_msg=jax.tree_util.keystr(path))


def test_runs_differ_by_collective():
  # Guards the test above: runs with different collectives end with different parameters,
  # so equal parameters there are not an accident of identical runs.
  data = make_data()
  model, tx, train_step, total_steps = make_setup()
  alphas = [0.0, 0.5]
  runs = sweep_lib.plan_runs(alphas, seeds=[0])
  states, inputs = init_runs(model, tx, runs, alphas)
  stacked = jax.tree.map(lambda *x: jnp.stack(x), *states)
  sweep = cj.make_multi_step(cj.make_sweep_step(train_step), total_steps)
  stacked, _ = sweep(stacked, inputs, data, jnp.int32(0))
  kernel = stacked.params["classifier"]["kernel"]
  assert float(jnp.abs(kernel[0] - kernel[1]).max()) > 1e-3


def test_run_inputs_nest_collectives_within_seed():
  alphas = [0.0, 0.1, 0.5]
  runs = sweep_lib.plan_runs(alphas, seeds=[0, 1])
  inputs = sweep_lib.run_inputs(runs, alphas, 100, epochs=2)
  member = np.asarray(inputs.member)
  assert list(member.sum(1)) == [0, 10, 50, 0, 10, 50]
  assert np.all(member[2][member[1]])
  assert np.all(member[5][member[4]])
  assert not np.array_equal(member[2], member[5])
  order = np.asarray(inputs.order)
  assert order.shape == (6, 2, 100)
  np.testing.assert_array_equal(np.sort(order[0, 1]), np.arange(100))
  np.testing.assert_array_equal(order[0], order[2])
  assert not np.array_equal(order[0, 0], order[0, 1])


def test_loss_decreases_when_training():
  data = make_data()
  model, tx, train_step, total_steps = make_setup()
  runs = sweep_lib.plan_runs([0.0], seeds=[0])
  states, inputs = init_runs(model, tx, runs, [0.0])
  stacked = jax.tree.map(lambda *x: jnp.stack(x), *states)
  _, losses = cj.make_multi_step(cj.make_sweep_step(train_step), total_steps)(
      stacked, inputs, data, jnp.int32(0))
  losses = np.asarray(losses)[:, 0]
  assert losses[-4:].mean() < losses[:4].mean()


def test_bfloat16_computation_keeps_float32_parameters():
  data = make_data()
  model = cj.EncoderClassifier(cj.encoder_config("test", VOCAB, NUM_LABELS, max_length=SEQ_LEN,
                                                 dtype=jnp.bfloat16))
  tx = cj.make_optimizer(1e-2, 16, warmup_steps=2)
  step_config = cj.StepConfig(batch_size=8, steps_per_epoch=8, target=1)
  train_step = cj.make_train_step(model, tx, cj.feature_label, step_config)
  runs = sweep_lib.plan_runs([0.0, 0.25], seeds=[0])
  states, inputs = init_runs(model, tx, runs, [0.0, 0.25])
  stacked = jax.tree.map(lambda *x: jnp.stack(x), *states)
  stacked, losses = cj.make_multi_step(cj.make_sweep_step(train_step), 16)(
      stacked, inputs, data, jnp.int32(0))
  assert all(leaf.dtype == jnp.float32 for leaf in jax.tree.leaves(stacked.params))
  assert np.isfinite(np.asarray(losses)).all()
  logits = model.apply({"params": jax.tree.map(lambda x: x[0], stacked.params)},
                       data.input_ids[:4], data.input_ids[:4] > 0)
  assert logits.dtype == jnp.float32
