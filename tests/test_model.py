"""The encoder classifier skips the last layer's positions that its head does not read."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from collective_jax.models import bert


def _model_and_inputs(preset, num_layers, head="distilbert", dropout_rate=0.0):
  config = bert.encoder_config(preset, vocab_size=50, num_labels=3, num_layers=num_layers,
                               head=head, dropout_rate=dropout_rate)
  model = bert.EncoderClassifier(config)
  rng = np.random.default_rng(0)
  input_ids = jnp.asarray(rng.integers(5, 50, size=(4, 12)), jnp.int32)
  mask = jnp.arange(12)[None, :] < jnp.array([[12], [9], [5], [1]])
  params = model.init(jax.random.key(1), input_ids, mask)["params"]
  return model, params, input_ids, mask


@pytest.mark.parametrize("num_layers,head", [(1, "distilbert"), (2, "distilbert"), (3, "bert")])
def test_first_token_matches_all_positions(num_layers, head):
  model, params, input_ids, mask = _model_and_inputs("test", num_layers, head)

  def loss(params):
    return jnp.sum(jnp.sin(model.apply({"params": params}, input_ids, mask)))

  value, grads = jax.value_and_grad(loss)(params)
  with bert.all_positions():
    full_value, full_grads = jax.value_and_grad(loss)(params)
  np.testing.assert_allclose(value, full_value, rtol=1e-5)
  for path, grad in jax.tree_util.tree_leaves_with_path(grads):
    full = jax.tree_util.tree_leaves_with_path(full_grads)
    expected = dict(full)[path]
    np.testing.assert_allclose(grad, expected, rtol=1e-4, atol=1e-6,
                               err_msg=jax.tree_util.keystr(path))


def test_all_positions_widens_last_layer():
  # The check above means something only if the context changes what the last layer computes.
  model, params, input_ids, mask = _model_and_inputs("test", 2)
  shapes = []

  def record(next_fun, args, kwargs, context):
    out = next_fun(*args, **kwargs)
    if isinstance(context.module, bert.TransformerLayer):
      shapes.append(out.shape)
    return out

  with jax.disable_jit(), bert.nn.intercept_methods(record):
    model.apply({"params": params}, input_ids, mask)
  assert shapes == [(4, 12, 32), (4, 1, 32)]
  shapes.clear()
  with jax.disable_jit(), bert.all_positions(), bert.nn.intercept_methods(record):
    model.apply({"params": params}, input_ids, mask)
  assert shapes == [(4, 12, 32), (4, 12, 32)]


def test_dropout_depends_on_key():
  model, params, input_ids, mask = _model_and_inputs("test", 2, dropout_rate=0.5)
  apply = lambda key: model.apply({"params": params}, input_ids, mask, deterministic=False,
                                  rngs={"dropout": jax.random.key(key)})
  first, second = apply(0), apply(1)
  assert first.shape == (4, 3)
  assert not np.allclose(first, second)
