"""The tensors of a Hugging Face checkpoint folder, read through the `safetensors` package.

A folder holds one `model.safetensors` or shards listed by `model.safetensors.index.json`
({"weight_map": {tensor: file}}). Each file is memory-mapped by safetensors (which checks its
header and offsets); a tensor, or a range of its rows, is converted to float32 on its own, so a
multi-gigabyte checkpoint never sits in memory as float32. BF16, F16 and F32 are read.
`save_bf16` writes the tiny test checkpoints the way the models are published.
"""
import json
import os

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

READABLE = ("BF16", "F16", "F32")
INDEX = "model.safetensors.index.json"
SINGLE = "model.safetensors"


class FormatError(Exception):
    """A checkpoint that cannot be read as described; the message says what and where."""


class Checkpoint:
    """The tensors of a checkpoint folder, found through the shard index when there is one."""

    def __init__(self, folder):
        index = os.path.join(folder, INDEX)
        if os.path.exists(index):
            with open(index) as f:
                weight_map = json.load(f).get("weight_map")
            if not isinstance(weight_map, dict) or not weight_map:
                raise FormatError(f"{INDEX} has no weight_map")
            files = sorted(set(weight_map.values()))
        elif os.path.exists(os.path.join(folder, SINGLE)):
            files, weight_map = [SINGLE], None
        else:
            raise FormatError(f"no {SINGLE} or {INDEX} in {folder}")
        self.files = files
        self._where = {}
        for fname in files:
            path = os.path.join(folder, fname)
            if not os.path.exists(path):
                raise FormatError(f"shard {fname} named by {INDEX} is missing")
            try:
                handle = safe_open(path, framework="pt")
            except SafetensorError as e:
                raise FormatError(f"{fname}: cannot be read as safetensors ({e})")
            for tname in handle.keys():
                dtype = handle.get_slice(tname).get_dtype()
                if dtype not in READABLE:
                    raise FormatError(f"{fname}: tensor {tname} has dtype {dtype} (supported: {', '.join(READABLE)})")
                self._where[tname] = (fname, handle)
        for tname, fname in (weight_map or {}).items():
            if self._where.get(tname, (None,))[0] != fname:
                raise FormatError(f"{INDEX} puts {tname} in {fname}, which does not hold it")

    def __contains__(self, tname):
        return tname in self._where

    def names(self):
        return sorted(self._where)

    def shape(self, tname):
        return tuple(self._where[tname][1].get_slice(tname).get_shape())

    def read(self, tname, rows=None):
        """float32 numpy copy of a tensor, or of rows [start, stop) of its first axis."""
        part = self._where[tname][1].get_slice(tname)
        t = part[rows[0]:rows[1]] if rows is not None else part[:]
        return t.to(torch.float32).numpy()


def save_bf16(path, tensors, metadata=None):
    """Write {name: float32 array} as one bf16 safetensors file (torch rounds to nearest even)."""
    save_file({k: torch.from_numpy(v).to(torch.bfloat16).contiguous() for k, v in tensors.items()}, path,
              metadata=metadata)
