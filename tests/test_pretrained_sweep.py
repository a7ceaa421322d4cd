"""The signal sweep fine-tuning a pretrained checkpoint set in config.model.pretrained."""

import json

import pytest

from collective_jax import UserInputError
from collective_jax import tokenization
from collective_jax.experiments import signal
from tests.helpers import load_config, synthetic_resume_files, write_resume_zip
from tests.test_pretrained import _hf_model, _save


@pytest.fixture(scope="module")
def checkpoint_folder(tmp_path_factory):
  files = synthetic_resume_files(80)
  texts = [files[name].decode() for name in sorted(files) if name.endswith(".txt")]
  tokenizer = tokenization.train_tokenizer(texts, vocab_size=100, extra_characters="{")
  folder = tmp_path_factory.mktemp("distilbert")
  return _save(_hf_model("distilbert", head=False), tokenizer, folder)


def sweep_config(tmp_path, checkpoint_folder):
  config = load_config("signal", "smoke")
  config.data.path = str(write_resume_zip(tmp_path / "resumes_corpus.zip",
                                          synthetic_resume_files(80)))
  config.data.num_docs = 0
  config.data.num_train = 60
  config.alphas = (0.0, 0.05)
  config.epochs = 1
  config.seq_len = 32
  config.signal.every = 5
  config.model.pretrained = str(checkpoint_folder)
  config.runtime.cache_dir = "none"
  return config


def test_sweep_fine_tunes_checkpoint(tmp_path, checkpoint_folder):
  records = signal.run(sweep_config(tmp_path, checkpoint_folder), str(tmp_path / "run"))
  assert [r["alpha"] for r in records] == [0.0, 0.05]
  assert [r["n_members"] for r in records] == [0, 3]
  assert not (tmp_path / "run" / "tokenizer").exists()
  report = json.loads((tmp_path / "run" / "signal_report.json").read_text())
  assert report["signal_token_ids"]


def test_sizes_with_checkpoint_rejected(tmp_path, checkpoint_folder):
  config = sweep_config(tmp_path, checkpoint_folder)
  config.model.num_layers = 4
  with pytest.raises(UserInputError, match="model.num_layers is set, but model.pretrained"):
    signal.run(config, str(tmp_path / "run"))


def test_seq_len_beyond_checkpoint_rejected(tmp_path, checkpoint_folder):
  config = sweep_config(tmp_path, checkpoint_folder)
  config.seq_len = 100
  with pytest.raises(UserInputError, match="seq_len=100 exceeds the checkpoint's 64 position"):
    signal.run(config, str(tmp_path / "run"))
