"""Exact theory of algorithmic collective action, in JAX.

`classification`: exact, worst-case and bounded success of planting or erasing a signal on
a finite table, critical mass, and a finite-sample bound. `risk`: gradient neutralisation
against a linear or logistic risk minimiser. `gradient`: gradient control against gradient
descent and SGD. `linear_program`: the small simplex solver that `risk` uses.

These modules import nothing from the model, data or training code of collective_jax.
"""

from collective_jax.theory import classification
from collective_jax.theory import gradient
from collective_jax.theory import linear_program
from collective_jax.theory import risk

__all__ = ["classification", "gradient", "linear_program", "risk"]
