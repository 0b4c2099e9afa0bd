"""Process group set-up for torchrun (one node or many) and the replica check.

Under `python3 -m torch.distributed.run` (torchrun) the environment holds RANK, WORLD_SIZE,
LOCAL_RANK and the rendezvous; without it the trainer runs as one process with no group at all.
Backend: NCCL when CUDA is available, gloo otherwise (config distributed.backend may force one).
"""

import datetime
import hashlib
import os

import torch
import torch.distributed as dist


class Context:
    """Where this process stands: rank, world size, local rank, device; is_main writes files."""

    def __init__(self, rank=0, world=1, local_rank=0, device=torch.device("cpu"), backend=None):
        self.rank, self.world, self.local_rank, self.device, self.backend = rank, world, local_rank, device, backend

    @property
    def is_main(self):
        return self.rank == 0

    @property
    def distributed(self):
        return self.backend is not None

    def barrier(self):
        if self.distributed:
            dist.barrier()


def init(backend="auto", timeout_minutes=30):
    """Joins the torchrun process group when there is one; picks the device."""
    cuda = torch.cuda.is_available()
    if "RANK" not in os.environ or "WORLD_SIZE" not in os.environ:
        return Context(device=torch.device("cuda", 0) if cuda else torch.device("cpu"))
    if backend == "auto":
        backend = "nccl" if cuda else "gloo"
    if backend == "nccl" and not cuda:
        raise RuntimeError("distributed.backend nccl needs CUDA; use gloo (or auto) on CPUs")
    rank, world, local = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"]), int(os.environ.get("LOCAL_RANK", 0))
    if cuda:
        torch.cuda.set_device(local)
    dist.init_process_group(backend=backend, timeout=datetime.timedelta(minutes=timeout_minutes))
    device = torch.device("cuda", local) if cuda else torch.device("cpu")
    return Context(rank, world, local, device, backend)


def shutdown(ctx):
    if ctx.distributed and dist.is_initialized():
        dist.destroy_process_group()


def all_gather_object(ctx, obj):
    if not ctx.distributed:
        return [obj]
    out = [None] * ctx.world
    dist.all_gather_object(out, obj)
    return out


def weights_digest(module):
    """SHA-256 of every parameter's bytes (name order), to compare replicas exactly."""
    h = hashlib.sha256()
    for name, p in module.named_parameters():
        h.update(name.encode())
        h.update(p.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


def check_replicas(ctx, module, where):
    """Raises unless every rank holds bit-identical parameters."""
    digests = all_gather_object(ctx, weights_digest(module))
    if len(set(digests)) != 1:
        raise RuntimeError(f"replicas disagree after {where}: " + ", ".join(
            f"rank {r} {d[:12]}" for r, d in enumerate(digests)))
    return digests[0]
