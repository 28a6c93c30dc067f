"""The natural-layout decode of the converted open models, in torch: the twin of
src/engine/naturalRunner.ts (NaturalRunner, Fast-dLLM's dual cache) and
src/engine/stages/middle.ts (place_middle: the middle's length read from the model), driven by
sampler.decode. The golden natural decodes (make_open_fixtures.py) come from here.

`step(ids, positions, mask, past, num_logits) -> (logits [1, n, V], present)` is one pass of the
exported graph's contract (open_model.OpenModel.forward).
"""
import torch

END_SURE = 0.5      # middle.ts: the probability of "ended here" at which the middle is cut
LENGTH_ROUND = 8    # middle.ts: the cut middle keeps slack up to a multiple of 8


class NaturalRunner:
    """[bos] PREFIX MIDDLE SUFFIX with explicit positions and full attention; a block's first
    step runs everything with [anchor ; block] last, and with the dual cache keeps the K/V of the
    rest for the block's other steps, which run [anchor ; block] only."""
    anchor_every_step = True

    def __init__(self, step, n_layer, n_kv_head, head_dim, mask_id, dual_cache=True):
        self.fwd, self.mask_id, self.dual = step, mask_id, dual_cache
        self.empty = torch.zeros(n_layer, 2, 1, n_kv_head, 0, head_dim)
        self.ids, self.tail, self.tail_pos, self.past, self.cached_at = [], [], 0, None, -1

    def place_tail(self, tail, tail_pos):
        self.tail, self.tail_pos, self.cached_at = list(tail), tail_pos, -1

    def _run(self, ids, positions, past, rows):
        T, P = len(ids), past.shape[4]
        with torch.no_grad():
            logits, present = self.fwd(torch.tensor([ids]), torch.tensor([positions]),
                                       torch.ones(1, 1, T, P + T, dtype=torch.bool), past, torch.tensor([rows]))
        return logits[0].double(), present

    def step(self, pending, block, pos, rows):
        self.ids += pending
        assert pos == len(self.ids) and pos + len(block) <= self.tail_pos
        a = min(1, pos)
        if self.dual and self.cached_at == pos:
            ids = self.ids[pos - a:] + block
            return self._run(ids, list(range(pos - a, pos - a + len(ids))), self.past, rows)[0]
        after = pos + len(block)
        kept = self.ids[:pos - a] + [self.mask_id] * (self.tail_pos - after) + self.tail
        kept_pos = (list(range(pos - a)) + list(range(after, self.tail_pos))
                    + list(range(self.tail_pos, self.tail_pos + len(self.tail))))
        ids = kept + self.ids[pos - a:] + block
        logits, present = self._run(ids, kept_pos + list(range(pos - a, after)), self.empty, rows)
        if self.dual:
            self.past, self.cached_at = present[:, :, :, :, :len(kept)], pos
        return logits


def place_middle(runner, pending, start, tail, *, max_tokens, max_context, mask_id, end_ids, shift,
                 middle_length="probe", exact=False):
    """middle.ts's NaturalMiddle: dict(pending, start, max_tokens, max_position, probed)."""
    longest = min(max_tokens, max_context - start - len(tail))
    runner.place_tail(tail, start + longest)
    slot = dict(pending=list(pending), start=start, max_tokens=longest, max_position=start + longest, probed=False)
    if exact or middle_length == "fixed" or longest <= LENGTH_ROUND:
        return slot
    logits = runner.step(list(pending), [mask_id] * longest, start, longest + (1 if shift else 0))
    probs = torch.softmax(logits, dim=-1)
    ends = sorted(set(end_ids))
    end = longest
    for i in range(longest):
        if float(probs[i, ends].sum()) >= END_SURE:
            end = i
            break
    length = min(longest, max(LENGTH_ROUND, -(-(end + 1) // LENGTH_ROUND) * LENGTH_ROUND))
    runner.place_tail(tail, start + length)
    return dict(pending=[], start=start, max_tokens=length, max_position=start + length, probed=True)
