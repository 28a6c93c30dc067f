"""Special token ids of a downloaded checkpoint, from its own files (never per-model constants).

* mask: config.json `mask_token_id` (LLaDA, Dream, DiffuCoder); else the `mask_token` that
  tokenizer_config.json or special_tokens_map.json names, looked up in tokenizer.json's
  added_tokens or added_tokens.json (Open-dCoder keeps its mask token in the tokenizer files);
  `--mask-token TEXT` names it when no file does.
* eom, the end-of-text a model pads a finished middle with: config.json `eos_token_id` (the
  first one when it is a list), else generation_config.json's.
* pad: config.json `pad_token_id`, else eom.
* bos, which the engine puts before the prefix: config.json `bos_token_id` where the family's
  own code starts a prompt with it (`OpenSpec.bos_first`), even when it is also the eos id.
* stop tokens: every eos id, pad, and the family's end-of-turn tokens found by content in
  tokenizer.json (`<|eot_id|>` for LLaDA, `<|im_end|>` for the Qwen2 tokenizers).
"""
import json
import os

END_OF_TURN = {"llada": ["<|endoftext|>", "<|eot_id|>"], "dream": ["<|endoftext|>", "<|im_end|>"]}


class SpecialsError(Exception):
    pass


def _read(folder, name):
    path = os.path.join(folder, name)
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        return json.load(f)


def _ids(v):
    return [v] if isinstance(v, int) else [x for x in (v or []) if isinstance(x, int)]


def added_tokens(tokenizer):
    return {t["content"]: t["id"] for t in tokenizer.get("added_tokens", [])}


def _token_id(folder, added, name, source):
    ids = {**_read(folder, "added_tokens.json"), **added}
    if name not in ids:
        raise SpecialsError(f"{source} names mask token {name!r}, which no tokenizer file gives an id")
    return ids[name]


def _mask_from_tokenizer(folder, added):
    for fname in ("tokenizer_config.json", "special_tokens_map.json"):
        name = _read(folder, fname).get("mask_token")
        if isinstance(name, dict):
            name = name.get("content")
        if name:
            return _token_id(folder, added, name, fname)
    return None


def special_tokens(cfg, folder, tokenizer, family, vocab_size, bos_first, mask_token=None):
    """({mask, eom, pad[, bos]}, stop_tokens) or SpecialsError; `mask_token` (its text) overrides."""
    added = added_tokens(tokenizer)
    if mask_token:
        mask = _token_id(folder, added, mask_token, "--mask-token")
    else:
        mask = cfg.get("mask_token_id")
        if mask is None:
            mask = _mask_from_tokenizer(folder, added)
    if mask is None:
        raise SpecialsError("no mask token: config.json has no mask_token_id, the tokenizer files name no "
                            "mask_token (a causal LM, not a diffusion model?); name it with --mask-token")
    eos = _ids(cfg.get("eos_token_id")) or _ids(_read(folder, "generation_config.json").get("eos_token_id"))
    if not eos:
        raise SpecialsError("no end-of-text token: neither config.json nor generation_config.json has eos_token_id")
    pad = cfg.get("pad_token_id")
    pad = eos[0] if pad is None else pad
    special = {"mask": mask, "eom": eos[0], "pad": pad}
    if bos_first:
        if not isinstance(cfg.get("bos_token_id"), int):
            raise SpecialsError("config.json has no bos_token_id, which this family puts before every prompt")
        special["bos"] = cfg["bos_token_id"]
    stops = set(eos) | {pad} | {added[n] for n in END_OF_TURN[family] if n in added}
    stops.discard(mask)
    for key, tid in list(special.items()) + [("stop", t) for t in stops]:
        if not isinstance(tid, int) or not 0 <= tid < vocab_size:
            raise SpecialsError(f"special token {key} id {tid!r} is outside the {vocab_size}-token vocabulary")
    return special, sorted(stops)
