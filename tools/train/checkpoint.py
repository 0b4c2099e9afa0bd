"""Checkpoints that let a preempted run continue exactly where it stopped.

RUN_DIR/checkpoint.pt holds: the position (stage, epoch, step reached in the epoch, the stage's
step count), the model (parameters and BatchNorm buffers), the optimiser, the gradient scaler, the
stage's data-order generator state at the start of the epoch (the epoch's plan is redrawn from it,
data/order.py), every rank's torch CPU and CUDA generator states and running loss sums of the epoch, and
a digest of the resolved configuration. Only rank 0 writes, to a temporary file renamed into place,
so a kill at any moment leaves the previous checkpoint or the new one, never half of one.
RUN_DIR/checkpoint.json repeats the position in plain JSON for people and scripts.
"""

import hashlib
import json
import os

import torch

FORMAT = "sinewich-train-checkpoint/v1"


def config_digest(cfg):
    """Digest of the parts of a configuration that change the computation (not the export)."""
    keep = {k: v for k, v in cfg.items() if k not in ("description", "export")}
    return hashlib.sha256(json.dumps(keep, sort_keys=True).encode()).hexdigest()


def rng_state(device):
    s = {"cpu": torch.get_rng_state()}
    if device.type == "cuda":
        s["cuda"] = torch.cuda.get_rng_state(device)
    return s


def set_rng_state(state, device):
    torch.set_rng_state(state["cpu"])
    if device.type == "cuda" and "cuda" in state:
        torch.cuda.set_rng_state(state["cuda"], device)


def save(run_dir, state):
    """Writes state atomically (call on rank 0 only)."""
    path = os.path.join(run_dir, "checkpoint.pt")
    tmp = path + ".tmp"
    torch.save(dict(state, format=FORMAT), tmp)
    os.replace(tmp, path)
    pos = {k: state[k] for k in ("stage", "stage_name", "epoch", "step_in_epoch", "stage_step", "done")}
    tmpj = os.path.join(run_dir, "checkpoint.json.tmp")
    with open(tmpj, "w", encoding="utf-8") as f:
        json.dump(pos, f)
    os.replace(tmpj, os.path.join(run_dir, "checkpoint.json"))


def load(run_dir, cfg):
    """The checkpoint of a run directory, or None; refuses one written with another configuration."""
    path = os.path.join(run_dir, "checkpoint.pt")
    if not os.path.exists(path):
        return None
    state = torch.load(path, map_location="cpu")
    if state.get("format") != FORMAT:
        raise ValueError(f"{path}: not a {FORMAT} checkpoint")
    if state["config_digest"] != config_digest(cfg):
        raise ValueError(f"{path} was written with another configuration than {run_dir}/config.json "
                         "describes now; resume with the same configuration, or start a new run directory")
    return state
