"""The order of the data and the augmentation draws: one numpy stream per stage, the same on every rank.

At the start of an epoch the stage's generator draws the permutation of the training items, then
for every step in turn the augmentation of each item of the global batch: horizontal flip
(uniform < hflip), and with random scaling the scale (uniform in [min, max]) and the crop position
(two uniforms). Items of a global batch are sorted by index and dealt out in consecutive slices:
accumulation micro-step m, rank r gets slice m * world + r. So the data seen per optimiser step do
not depend on the number of processes, and a checkpoint only needs the generator's state at the
start of the epoch plus the step reached: the plan is redrawn on resume, identical.
"""

import numpy as np


class EpochPlan:
    """One epoch's items and augmentation parameters for every step."""

    def __init__(self, rng, n, batch, hflip, scale):
        self.steps = n // batch
        self.perm = rng.permutation(n)
        self.batches = []
        for b in range(self.steps):
            idx = np.sort(self.perm[b * batch:(b + 1) * batch])
            flip = rng.random(len(idx)) < hflip
            if scale is not None:
                sc = rng.uniform(scale[0], scale[1], len(idx))
                pos = rng.random((len(idx), 2))
            else:
                sc, pos = [None] * len(idx), [(None, None)] * len(idx)
            self.batches.append([(int(i), bool(f), None if s is None else float(s),
                                  None if p[0] is None else float(p[0]), None if p[1] is None else float(p[1]))
                                 for i, f, s, p in zip(idx, flip, sc, pos)])

    def micro_batches(self, step, rank, world, accumulation):
        """The keys this rank computes in each accumulation micro-step of a step."""
        keys = self.batches[step]
        size = len(keys) // (world * accumulation)
        return [keys[(m * world + rank) * size:(m * world + rank + 1) * size] for m in range(accumulation)]


def stage_rng(order_seed):
    """The stage's generator (order_seed: an int or a list of ints, numpy SeedSequence entropy)."""
    return np.random.default_rng(order_seed)
