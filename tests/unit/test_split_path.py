"""services/contents.split_path: a path's parts, refusing whatever could leave the tree or that no
checkout could hold (control characters anywhere; a name over 255 bytes, however its characters
encode), 404 on reads and 422 on writes."""

from __future__ import annotations

import pytest

from hubdepot import errors
from hubdepot.services.contents import split_path

FITTING = {
    "README.md": ["README.md"],
    "a/b/c.txt": ["a", "b", "c.txt"],
    "dir/": ["dir"],
    "": [],
    "é" * 127: ["é" * 127],  # (254 bytes)
    "🚀" * 63: ["🚀" * 63],  # (252 bytes: 63 characters never exceed a name's 255)
    "x" * 255: ["x" * 255],
    ".gitignore/.github": [".gitignore", ".github"],
}
UNFIT = [
    "a/../b",
    "..",
    "./a",
    "a//b",
    "a/.GIT/config",
    "a\x00b",
    "a/b\x01c",
    "x\x7f",
    "\x1f",
    "é" * 128,  # (256 bytes)
    "🚀" * 64,  # (256 bytes in 64 characters)
    "x" * 256,
    "a/" + "\udc80" * 86,  # (a lone surrogate is 3 bytes: 258)
]


@pytest.mark.parametrize("path,parts", FITTING.items())
def test_fitting_paths_split(path, parts):
    assert split_path(path) == parts


@pytest.mark.parametrize("path", UNFIT)
def test_unfit_paths_are_404_on_read_and_422_on_write(path):
    with pytest.raises(errors.NotFound):
        split_path(path)
    with pytest.raises(errors.ValidationFailed):
        split_path(path, writing=True)
