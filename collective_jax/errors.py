"""Errors raised for invalid user input (configs, data files, command-line values)."""


class UserInputError(ValueError):
  """Invalid config field, data file or argument; the message names the value and the fix.

  `collective_jax.main` prints the message and exits with status 2 instead of a traceback.
  """
