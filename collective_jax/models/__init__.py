"""Models: a BERT-style encoder classifier written in Flax, with named size presets."""

from collective_jax.models.bert import PRESETS
from collective_jax.models.bert import EncoderClassifier
from collective_jax.models.bert import EncoderConfig
from collective_jax.models.bert import encoder_config
from collective_jax.models.pretrained import load_pretrained

__all__ = ["PRESETS", "EncoderClassifier", "EncoderConfig", "encoder_config", "load_pretrained"]
