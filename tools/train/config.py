"""The trainer's configuration: one JSON file holding every hyper-parameter (`sinewich-train/v1`).

A configuration is read, completed with the documented defaults, checked key by key and saved,
resolved, with every run (RUN_DIR/config.json). Unknown keys are an error (they are usually
typos); every error names the file and the key path, e.g. `configs/x.json: stages[1].optimizer.lr`.
The full reference is docs/TRAINING.md ("Configuration"); the shape is:

  format    "sinewich-train/v1"
  seed      torch seed for the model's initialisation (int)
  threads   torch CPU threads per process (int, or null for torch's default)
  model     the bundle's sinewich.json (SPEC section 2), exported as is
  init      backbone checkpoint and the initial scales of the new parameters
  losses    per task: {"type": ..., "weight": ...} (losses.py)
  data      train / val data sets (data/__init__.py) and the augmentation
  stages    the training stages, in order (each: epochs, batch, what trains, optimiser, schedule)
  precision {"amp": "bf16" | "fp16" | "off"} (GPUs only; CPUs always train in float32)
  distributed {"backend", "check_replicas_every"}
  checkpoint {"every_steps"}
  export    held-out verification against tools/reference/sinewich_ref.py and the bundle's dtype
"""

import copy
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tools", "reference"))
import sinewich_ref as ref  # noqa: E402

FORMAT = "sinewich-train/v1"
GROUPS = ("backbone", "lora", "awb", "clock", "tokens", "decoder", "heads")
LOSS_TYPES = {
    # type -> (task kinds it applies to, its own keys besides type and weight)
    "cross_entropy": ({"segmentation"}, {}),
    "l1": ({"depth"}, {}),
    "normals_l1": ({"normals"}, {}),
    "cosine_l1": ({"normals"}, {"l1_weight": 0.5}),
    "bce": ({"saliency", "edges"}, {}),
    "balanced_bce": ({"saliency", "edges"}, {"pos_weight": None}),
}
DATA_TYPES = {
    "synthetic": {"seed": None, "count": None, "height": None, "width": None, "start": 0, "cache": None},
    "sinewich": {"root": None, "limit": None},
    "pascal": {"root": None, "split": None, "normals_valid_classes": None, "limit": None},
    "nyud": {"root": None, "split": None, "limit": None},
}
TASKS_PER_STEP = ("shared", "all", "round_robin")

DEFAULTS = {
    "format": FORMAT,
    "description": "",
    "seed": 0,
    "threads": None,
    "init": {"backbone_checkpoint": None, "trust_pickle": False, "awb_factor_std": 0.3,
             "awb_prior_noise": 0.1, "clock_weight_gain": 0.5, "clock_scale": 1.0, "clock_shift": 1.5,
             "token_std": 1.0},
    "data": {"train": None, "val": None, "workers": 0,
             "augment": {"hflip": 0.5, "scale": None, "depth_divide_by_scale": True}},
    "precision": {"amp": "bf16"},
    "distributed": {"backend": "auto", "check_replicas_every": 0},
    "checkpoint": {"every_steps": 0},
    "export": {"verify_images": 8, "tolerance": 1e-4, "dtype": "F32"},
}
STAGE_DEFAULTS = {
    "name": None, "epochs": None, "batch": None, "accumulation": 1, "train": None, "adapters": True,
    "tasks_per_step": "all", "order_seed": None, "clip_grad_norm": None,
    "optimizer": {"type": "adamw", "lr": None, "weight_decay": 0.0, "betas": [0.9, 0.999], "eps": 1e-8},
    "schedule": {"type": "cosine", "warmup_steps": 0, "warmup_epochs": 0, "min_lr": 0.0},
}


class ConfigError(ValueError):
    """A configuration that cannot be used; the message names the file and the key."""


def _merge(defaults, given, where, src, open_keys=False):
    """defaults completed with given; unknown keys in given are an error."""
    if not isinstance(given, dict):
        raise ConfigError(f"{src}: {where or '$'} must be an object")
    out = copy.deepcopy(defaults)
    for k, v in given.items():
        path = f"{where}.{k}" if where else k
        if k not in defaults and not open_keys:
            raise ConfigError(f"{src}: unknown key {path} (allowed: {', '.join(sorted(defaults))})")
        if isinstance(defaults.get(k), dict) and v is not None:
            out[k] = _merge(defaults[k], v, path, src)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _positive(v, path, src, integer=False):
    if isinstance(v, bool) or not isinstance(v, (int,) if integer else (int, float)) or v <= 0:
        raise ConfigError(f"{src}: {path} must be a positive {'integer' if integer else 'number'}, found {v!r}")


def _data_source(spec, path, src, base_dir):
    if spec is None:
        return None
    if not isinstance(spec, dict) or spec.get("type") not in DATA_TYPES:
        raise ConfigError(f"{src}: {path}.type must be one of {', '.join(DATA_TYPES)}, found "
                          f"{spec.get('type') if isinstance(spec, dict) else spec!r}")
    kind = spec["type"]
    out = _merge(dict(DATA_TYPES[kind], type=None), spec, path, src)
    for k, v in DATA_TYPES[kind].items():
        if v is None and out[k] is None and k not in ("cache", "normals_valid_classes", "limit"):
            raise ConfigError(f"{src}: {path}.{k} is required for a {kind} data set")
    if "root" in out and out["root"] is not None:
        out["root"] = _resolve_path(out["root"], base_dir)
    if kind == "synthetic":
        for k in ("count", "height", "width"):
            _positive(out[k], f"{path}.{k}", src, integer=True)
        if out["cache"]:
            out["cache"] = _resolve_path(out["cache"], base_dir)
    if kind == "pascal" and isinstance(out["normals_valid_classes"], str) \
            and out["normals_valid_classes"].startswith("db_info:"):
        out["normals_valid_classes"] = "db_info:" + _resolve_path(out["normals_valid_classes"][8:], base_dir)
    return out


def _resolve_path(p, base_dir):
    """Paths in a configuration are relative to the repository root (so committed configs work
    from any directory) unless absolute; ${VAR} and ~ are expanded."""
    p = os.path.expanduser(os.path.expandvars(str(p)))
    return p if os.path.isabs(p) else os.path.normpath(os.path.join(base_dir, p))


def _stage(st, i, src, seed):
    path = f"stages[{i}]"
    out = _merge(STAGE_DEFAULTS, st, path, src)
    if not out["name"]:
        out["name"] = f"stage{i + 1}"
    _positive(out["epochs"], f"{path}.epochs", src, integer=True)
    _positive(out["batch"], f"{path}.batch", src, integer=True)
    _positive(out["accumulation"], f"{path}.accumulation", src, integer=True)
    if not isinstance(out["train"], list) or not out["train"] or any(g not in GROUPS for g in out["train"]):
        raise ConfigError(f"{src}: {path}.train must list parameter groups from {', '.join(GROUPS)}, "
                          f"found {out['train']!r}")
    if out["tasks_per_step"] not in TASKS_PER_STEP:
        raise ConfigError(f"{src}: {path}.tasks_per_step must be one of {', '.join(TASKS_PER_STEP)}")
    if out["adapters"] and out["tasks_per_step"] == "shared":
        raise ConfigError(f"{src}: {path}: tasks_per_step 'shared' (one backbone pass for every head) needs "
                          "adapters false: with Sine-AWB every task has its own backbone weights")
    if not out["adapters"] and any(g in out["train"] for g in ("lora", "awb", "clock", "tokens")):
        raise ConfigError(f"{src}: {path}.train names adapter groups but {path}.adapters is false")
    opt = out["optimizer"]
    if opt["type"] != "adamw":
        raise ConfigError(f"{src}: {path}.optimizer.type must be adamw")
    _positive(opt["lr"], f"{path}.optimizer.lr", src)
    sch = out["schedule"]
    if sch["type"] not in ("cosine", "constant"):
        raise ConfigError(f"{src}: {path}.schedule.type must be cosine or constant")
    if sch["warmup_steps"] and sch["warmup_epochs"]:
        raise ConfigError(f"{src}: {path}.schedule: give warmup_steps or warmup_epochs, not both")
    if out["order_seed"] is None:
        out["order_seed"] = [seed, i + 1]
    if out["clip_grad_norm"] is not None:
        _positive(out["clip_grad_norm"], f"{path}.clip_grad_norm", src)
    return out


def resolve(raw, src="config", base_dir=ROOT):
    """Completes and checks a configuration dict; returns the resolved dict (JSON-serialisable)."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{src}: the configuration must be a JSON object")
    if raw.get("format") != FORMAT:
        raise ConfigError(f"{src}: format must be {FORMAT!r}, found {raw.get('format')!r}")
    top = dict(DEFAULTS, model=None, losses=None, stages=None)
    cfg = _merge(top, raw, "", src)
    if not isinstance(cfg["model"], dict):
        raise ConfigError(f"{src}: model is required (the bundle's sinewich.json, SPEC section 2)")
    try:
        ref.validate_config(cfg["model"])
    except (ValueError, KeyError, TypeError) as e:
        raise ConfigError(f"{src}: model: {e}") from e
    tasks = {t["name"]: t for t in cfg["model"]["tasks"]}
    if not isinstance(cfg["losses"], dict):
        raise ConfigError(f"{src}: losses is required: one entry per model task ({', '.join(tasks)})")
    for name in tasks:
        if name not in cfg["losses"]:
            raise ConfigError(f"{src}: losses.{name} is missing (every model task needs a loss)")
    for name, spec in cfg["losses"].items():
        path = f"losses.{name}"
        if name not in tasks:
            raise ConfigError(f"{src}: {path}: no model task is called {name}")
        if not isinstance(spec, dict) or spec.get("type") not in LOSS_TYPES:
            raise ConfigError(f"{src}: {path}.type must be one of {', '.join(LOSS_TYPES)}")
        kinds, extra = LOSS_TYPES[spec["type"]]
        if tasks[name]["kind"] not in kinds:
            raise ConfigError(f"{src}: {path}.type {spec['type']} does not apply to a {tasks[name]['kind']} task")
        cfg["losses"][name] = _merge(dict(extra, type=None, weight=1.0), spec, path, src)
        _positive(cfg["losses"][name]["weight"], f"{path}.weight", src)
    d = cfg["data"]
    d["train"] = _data_source(d["train"], "data.train", src, base_dir)
    if d["train"] is None:
        raise ConfigError(f"{src}: data.train is required")
    d["val"] = _data_source(d["val"], "data.val", src, base_dir)
    aug = d["augment"]
    if aug["scale"] is not None and (not isinstance(aug["scale"], list) or len(aug["scale"]) != 2
                                     or not 0 < aug["scale"][0] <= aug["scale"][1]):
        raise ConfigError(f"{src}: data.augment.scale must be null or [min, max] with 0 < min <= max")
    if not 0 <= aug["hflip"] <= 1:
        raise ConfigError(f"{src}: data.augment.hflip is a probability in [0, 1]")
    if not isinstance(cfg["stages"], list) or not cfg["stages"]:
        raise ConfigError(f"{src}: stages must be a non-empty list")
    cfg["stages"] = [_stage(st, i, src, cfg["seed"]) for i, st in enumerate(cfg["stages"])]
    if cfg["precision"]["amp"] not in ("bf16", "fp16", "off"):
        raise ConfigError(f"{src}: precision.amp must be bf16, fp16 or off")
    if cfg["distributed"]["backend"] not in ("auto", "nccl", "gloo"):
        raise ConfigError(f"{src}: distributed.backend must be auto, nccl or gloo")
    if cfg["init"]["backbone_checkpoint"]:
        cfg["init"]["backbone_checkpoint"] = _resolve_path(cfg["init"]["backbone_checkpoint"], base_dir)
    if cfg["export"]["dtype"] not in ("F32", "F16", "BF16"):
        raise ConfigError(f"{src}: export.dtype must be F32, F16 or BF16")
    return cfg


def set_value(raw, assignment):
    """Applies one command-line override KEY.PATH=JSON_VALUE (e.g. stages.1.epochs=2) to a raw
    configuration; list items are addressed by index."""
    if "=" not in assignment:
        raise ConfigError(f"--set {assignment!r}: expected KEY.PATH=VALUE")
    key, value = assignment.split("=", 1)
    try:
        v = json.loads(value)
    except json.JSONDecodeError:
        v = value  # a bare string
    node = raw
    parts = key.split(".")
    for p in parts[:-1]:
        node = node[int(p)] if isinstance(node, list) else node.setdefault(p, {})
    last = parts[-1]
    if isinstance(node, list):
        node[int(last)] = v
    else:
        node[last] = v


def load(path, overrides=()):
    """Reads, overrides (--set) and resolves a configuration file."""
    try:
        with open(path, encoding="utf-8") as f:
            raw = json.load(f)
    except FileNotFoundError as e:
        raise ConfigError(f"{path}: no such configuration file") from e
    except json.JSONDecodeError as e:
        raise ConfigError(f"{path}: not valid JSON: {e}") from e
    for o in overrides:
        try:
            set_value(raw, o)
        except (KeyError, IndexError, ValueError, TypeError) as e:
            raise ConfigError(f"--set {o}: {e}") from e
    return resolve(raw, src=path)
