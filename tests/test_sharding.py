"""The run axis sharded over 4 and 8 host devices gives the one-device results."""

import json

import pytest

from tests.helpers import assert_results_close, smoke_run_to_end


@pytest.mark.parametrize("devices, data_shards", [(4, 1), (8, 2)])
def test_sharded_matches_one_device(real_corpus_path, tmp_path, smoke_cache_dir, smoke_reference,
                                    devices, data_shards):
  flags = f"--xla_force_host_platform_device_count={devices}"
  sharded = smoke_run_to_end(real_corpus_path, tmp_path / "sharded", smoke_cache_dir,
                             f"--config.mesh.data_shards={data_shards}", env={"XLA_FLAGS": flags})
  log = (tmp_path / "sharded" / "config.json").read_text()
  assert json.loads(log)["mesh"]["data_shards"] == data_shards
  assert_results_close(smoke_reference, sharded)
