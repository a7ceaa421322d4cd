"""The README's library example runs as written."""

import pathlib
import re

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def test_readme_training_loop_example(capsys):
  blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)
  example = next(block for block in blocks if "cj.feature_label" in block)
  exec(compile(example, str(README), "exec"), {"__name__": "readme_example"})
  output = capsys.readouterr().out
  match = re.search(r"success (\d\.\d\d), 95% interval", output)
  assert match, output
  assert 0.0 <= float(match.group(1)) <= 1.0
