"""Text-classification corpora: readers, the train/test split and the download command."""

from collective_jax.data.corpus import Corpus
from collective_jax.data.corpus import split_corpus
from collective_jax.data.resumes import OCCUPATIONS
from collective_jax.data.resumes import read_resume_corpus
from collective_jax.data.resumes import resolve_data_path
from collective_jax.data.text_files import read_text_file

__all__ = [
    "Corpus",
    "OCCUPATIONS",
    "read_resume_corpus",
    "read_text_file",
    "resolve_data_path",
    "split_corpus",
]
