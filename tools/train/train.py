"""Train a Free Sinewich model and export it as a verified SPEC bundle.

  # one process (CPU or one GPU)
  /usr/bin/python3 tools/train/train.py --config tools/train/configs/default.json --out RUN_DIR
  # one node, 8 GPUs (NCCL); several nodes: add --nnodes N --rdzv_backend c10d --rdzv_endpoint HOST:PORT (docs/TRAINING.md)
  python3 -m torch.distributed.run --nproc_per_node 8 tools/train/train.py --config CFG --out RUN_DIR

The configuration (config.py, docs/TRAINING.md) holds every hyper-parameter; --set KEY.PATH=VALUE
overrides one (stages.0.epochs=2). RUN_DIR receives config.json (the resolved configuration),
train.log, metrics.jsonl (one JSON object per epoch), checkpoint.pt / checkpoint.json and, at the
end, bundle/ (sinewich.json, model.safetensors, MODEL_CARD.md, model_card.json). Running the same
command again on a RUN_DIR that holds a checkpoint continues the run exactly where it stopped.
Only rank 0 writes. Exit status: 0 done, 1 training or export failed, 2 bad configuration or data.
"""

import argparse
import contextlib
import json
import math
import os
import shlex
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
import torch  # noqa: E402

import checkpoint  # noqa: E402
import config as config_mod  # noqa: E402
import data  # noqa: E402
import distributed  # noqa: E402
import export  # noqa: E402
import validate  # noqa: E402
from data.order import EpochPlan, stage_rng  # noqa: E402
from losses import task_loss  # noqa: E402
from model import SinewichNet, parameter_report  # noqa: E402


class Log:
    """Progress lines on stdout and in RUN_DIR/train.log, metrics in RUN_DIR/metrics.jsonl (rank 0)."""

    def __init__(self, ctx, run_dir):
        self.ctx, self.run_dir = ctx, run_dir

    def __call__(self, msg):
        if not self.ctx.is_main:
            return
        line = time.strftime("%H:%M:%S ") + msg
        print(line, flush=True)
        with open(os.path.join(self.run_dir, "train.log"), "a", encoding="utf-8") as f:
            f.write(line + "\n")

    def progress(self, label, done, total, seconds):
        """An in-epoch progress bar (rank 0): redrawn in place on a terminal; in a log (not a
        terminal) one line at every tenth of the epoch, so that a job's log still shows it moving."""
        if not self.ctx.is_main or total <= 0:
            return
        rate = seconds / max(done, 1)
        filled = int(30 * done / total)
        bar = (f"{label} [{'#' * filled}{'.' * (30 - filled)}] {done}/{total} steps, "
               f"{rate:.2f} s/step, {rate * (total - done):.0f} s left")
        if sys.stdout.isatty():
            print("\r" + bar, end="\n" if done == total else "", flush=True)
        elif done == total or done % max(1, total // 10) == 0:
            print(time.strftime("%H:%M:%S ") + bar, flush=True)

    def metrics(self, record):
        if self.ctx.is_main:
            with open(os.path.join(self.run_dir, "metrics.jsonl"), "a", encoding="utf-8") as f:
                f.write(json.dumps(record, default=float) + "\n")


def lr_at(step, total, base, warmup, min_lr, kind):
    """Linear warm-up over `warmup` steps ((step+1)/warmup of base), then cosine to min_lr (or constant)."""
    if step < warmup:
        return base * (step + 1) / warmup
    if kind == "constant":
        return base
    return min_lr + (base - min_lr) * 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, total - warmup)))


def weighted(spec, O, gt):
    """weight x loss; a weight of 1 adds no node to the graph (so gradients are summed in the same
    order as an unweighted sum, which keeps runs of earlier trainers reproducible bit for bit)."""
    loss = task_loss(spec, O, gt)
    return loss if spec["weight"] == 1.0 else spec["weight"] * loss


def autocast(ctx, amp):
    if ctx.device.type != "cuda" or amp == "off":
        return contextlib.nullcontext()
    return torch.autocast(device_type="cuda", dtype=torch.bfloat16 if amp == "bf16" else torch.float16)


class Trainer:
    """Runs the configured stages from a position (a fresh run, or a checkpoint's)."""

    def __init__(self, cfg, args, ctx, log):
        self.cfg, self.args, self.ctx, self.log = cfg, args, ctx, log
        self.tasks = [t["name"] for t in cfg["model"]["tasks"]]
        torch.manual_seed(cfg["seed"])
        self.net = SinewichNet(cfg["model"], cfg["init"])
        if cfg["init"]["backbone_checkpoint"]:
            self.net.load_backbone(cfg["init"]["backbone_checkpoint"], cfg["init"]["trust_pickle"], log)
        self.params = parameter_report(self.net, cfg["model"])
        log(self.params["line"])
        self.train_data = data.build(cfg["data"]["train"], self.tasks, "data.train")
        data.check_tasks(cfg["model"], self.train_data, "data.train")
        self.val_data = None
        if cfg["data"]["val"]:
            self.val_data = data.build(cfg["data"]["val"], self.tasks, "data.val")
            data.check_tasks(cfg["model"], self.val_data, "data.val")
        log(f"train: {self.train_data.name} ({len(self.train_data.ids)} items)"
            + (f"; val: {self.val_data.name} ({len(self.val_data.ids)} items)" if self.val_data else "")
            + f"; {ctx.world} process(es) on {ctx.device}" + (f" ({ctx.backend})" if ctx.backend else ""))
        size = (cfg["model"]["input"]["height"], cfg["model"]["input"]["width"])
        aug = cfg["data"]["augment"]
        self.dataset = data.Augmented(self.train_data, self.tasks, size, aug["depth_divide_by_scale"])
        self.last_val = None
        self.steps_done = 0

    def halt(self):
        """Test hook (--halt-after-steps): every rank stops here and waits to be killed, as a
        preempted job would be; rank 0 first writes RUN_DIR/halted so the killer knows when."""
        self.ctx.barrier()
        if self.ctx.is_main:
            with open(os.path.join(self.args.out, "halted"), "w", encoding="utf-8") as f:
                f.write(f"{self.steps_done}\n")
        while True:
            time.sleep(60)

    # -- one stage -------------------------------------------------------------------------------

    def run_stage(self, si, state):
        cfg, ctx, net = self.cfg, self.ctx, self.net
        st = cfg["stages"][si]
        where = f"stages[{si}]"
        n = len(self.train_data.ids)
        steps = n // st["batch"]
        if steps == 0:
            raise config_mod.ConfigError(f"{where}.batch {st['batch']} is larger than the {n} training items")
        if st["batch"] % (ctx.world * st["accumulation"]):
            raise config_mod.ConfigError(f"{where}.batch {st['batch']} must be a multiple of processes x "
                                         f"accumulation = {ctx.world} x {st['accumulation']}")
        params = net.set_trainable(st["train"])
        net.adapters_on = st["adapters"]
        o = st["optimizer"]
        opt = torch.optim.AdamW(params, lr=o["lr"], weight_decay=o["weight_decay"], betas=tuple(o["betas"]),
                                eps=o["eps"])
        amp = cfg["precision"]["amp"]
        scaler = torch.cuda.amp.GradScaler(enabled=ctx.device.type == "cuda" and amp == "fp16")
        model = net
        if ctx.distributed:
            model = torch.nn.parallel.DistributedDataParallel(
                net, device_ids=[ctx.local_rank] if ctx.device.type == "cuda" else None,
                find_unused_parameters=st["tasks_per_step"] == "round_robin")
        rng = stage_rng(st["order_seed"])
        epoch0, b0, stage_step, sums0 = 0, 0, 0, None
        if state is not None and state["stage"] == si:
            epoch0, b0, stage_step = state["epoch"], state["step_in_epoch"], state["stage_step"]
            rng.bit_generator.state = state["order_rng"]
            if state["optimizer"] is not None:
                opt.load_state_dict(state["optimizer"])
                scaler.load_state_dict(state["scaler"])
            if state["loss_sums"] is not None and len(state["loss_sums"]) == ctx.world:
                sums0 = state["loss_sums"][ctx.rank]
        sch = st["schedule"]
        total = steps * st["epochs"]
        warmup = sch["warmup_steps"] or sch["warmup_epochs"] * steps
        self.log(f"stage {si + 1}/{len(cfg['stages'])} '{st['name']}': train {'+'.join(st['train'])}, adapters "
                 f"{'on' if st['adapters'] else 'off'}, tasks per step {st['tasks_per_step']}, {st['epochs']} epochs x "
                 f"{steps} steps of {st['batch']} ({sum(p.numel() for p in params)} parameters trained)"
                 + (f"; resuming at epoch {epoch0 + 1} step {b0}" if state is not None and state["stage"] == si else ""))
        aug = cfg["data"]["augment"]
        for epoch in range(epoch0, st["epochs"]):
            epoch_rng_state = rng.bit_generator.state
            plan = EpochPlan(rng, n, st["batch"], aug["hflip"], aug["scale"])
            sums = sums0 if (sums0 is not None and epoch == epoch0) else {t: [0.0, 0] for t in self.tasks}
            t0 = time.time()
            micro = [plan.micro_batches(b, ctx.rank, ctx.world, st["accumulation"]) for b in range(b0, steps)]
            loader = torch.utils.data.DataLoader(
                self.dataset, batch_sampler=[mb for step in micro for mb in step], collate_fn=data.collate,
                num_workers=cfg["data"]["workers"], pin_memory=ctx.device.type == "cuda",
                generator=torch.Generator().manual_seed(0))
            batches = iter(loader)
            model.train()
            for b in range(b0, steps):
                for g in opt.param_groups:
                    g["lr"] = lr_at(stage_step, total, o["lr"], warmup, sch["min_lr"], sch["type"])
                opt.zero_grad(set_to_none=True)
                tasks = self.tasks if st["tasks_per_step"] != "round_robin" else [self.tasks[stage_step % len(self.tasks)]]
                for m in range(st["accumulation"]):
                    images, gts = next(batches)
                    images = images.to(ctx.device, non_blocking=True)
                    sync = m == st["accumulation"] - 1 or not ctx.distributed
                    with (contextlib.nullcontext() if sync else model.no_sync()):
                        with autocast(ctx, amp):
                            outs = model(images, tasks, st["tasks_per_step"] == "shared")
                        losses = {t: weighted(cfg["losses"][t], outs[t], gts[t].to(ctx.device, non_blocking=True))
                                  for t in tasks}
                        total_loss = sum(losses.values())
                        if st["accumulation"] > 1:
                            total_loss = total_loss / st["accumulation"]
                        scaler.scale(total_loss).backward()
                    for t, v in losses.items():
                        sums[t][0] += float(v) / st["accumulation"]
                    if m == st["accumulation"] - 1:
                        for t in tasks:
                            sums[t][1] += 1
                if st["clip_grad_norm"]:
                    scaler.unscale_(opt)
                    torch.nn.utils.clip_grad_norm_(params, st["clip_grad_norm"])
                scaler.step(opt)
                scaler.update()
                stage_step += 1
                every = cfg["distributed"]["check_replicas_every"]
                if ctx.distributed and every and stage_step % every == 0:
                    distributed.check_replicas(ctx, net, f"{where} step {stage_step}")
                every = cfg["checkpoint"]["every_steps"]
                if every and stage_step % every == 0 and b + 1 < steps:
                    self.save(si, epoch, b + 1, stage_step, epoch_rng_state, opt, scaler, sums)
                self.steps_done += 1
                self.log.progress(f"stage {si + 1} epoch {epoch + 1}/{st['epochs']}", b + 1, steps, time.time() - t0)
                if self.steps_done == self.args.halt_after_steps:
                    self.halt()
            b0 = 0
            self.end_epoch(si, epoch, steps, stage_step, sums, opt, time.time() - t0)
            if epoch + 1 < st["epochs"]:
                self.save(si, epoch + 1, 0, stage_step, rng.bit_generator.state, opt, scaler, None)
            else:
                self.save(si + 1, 0, 0, 0, None, None, None, None)

    def end_epoch(self, si, epoch, steps, stage_step, sums, opt, seconds):
        cfg, ctx, st = self.cfg, self.ctx, self.cfg["stages"][si]
        vec = torch.tensor([v for t in self.tasks for v in sums[t]], dtype=torch.float64)
        if ctx.distributed:  # the mean loss over ranks (each saw its share of every batch)
            torch.distributed.all_reduce(vec)
            vec[0::2] /= ctx.world
            vec[1::2] /= ctx.world
        mean = {t: float(vec[2 * i] / vec[2 * i + 1]) if vec[2 * i + 1] > 0 else None  # None: not trained this epoch
                for i, t in enumerate(self.tasks)}
        record = {"stage": si + 1, "stage_name": st["name"], "epoch": epoch + 1, "epochs": st["epochs"],
                  "steps": steps, "stage_step": stage_step, "lr": opt.param_groups[0]["lr"], "loss": mean,
                  "seconds": seconds}
        msg = (f"stage {si + 1} '{st['name']}' epoch {epoch + 1}/{st['epochs']} step {stage_step}/{steps * st['epochs']} "
               f"lr {opt.param_groups[0]['lr']:.3g} loss "
               + " ".join(f"{t}={'–' if v is None else f'{v:.4f}'}" for t, v in mean.items())
               + f" time={seconds:.0f}s")
        if st["adapters"]:
            with torch.no_grad():
                record["omega"] = {t: [float(w) for w in self.net.omega(t)] for t in self.tasks}
            msg += " omega=" + ",".join("/".join(f"{w:.2f}" for w in ws) for ws in record["omega"].values())
        if self.val_data is not None and ctx.is_main:
            val = validate.evaluate(self.net, self.val_data, ctx.device, cfg["data"]["val"].get("limit"))
            record["val"] = val["primary"]
            self.last_val = val
            msg += " | val " + " ".join(f"{t}.{p['metric']}={p['value']:.4g}" for t, p in val["primary"].items())
        self.log(msg)
        self.log.metrics(record)

    def save(self, stage, epoch, step_in_epoch, stage_step, order_rng, opt, scaler, sums):
        """Every rank takes part (their RNG states are gathered); rank 0 writes."""
        rngs = distributed.all_gather_object(self.ctx, checkpoint.rng_state(self.ctx.device))
        sums = distributed.all_gather_object(self.ctx, sums) if sums is not None else None
        if not self.ctx.is_main:
            return
        n_stages = len(self.cfg["stages"])
        checkpoint.save(self.args.out, {
            "stage": stage, "stage_name": self.cfg["stages"][stage]["name"] if stage < n_stages else None,
            "epoch": epoch, "step_in_epoch": step_in_epoch, "stage_step": stage_step, "done": stage >= n_stages,
            "order_rng": order_rng, "model": self.net.state_dict(),
            "optimizer": opt.state_dict() if opt is not None else None,
            "scaler": scaler.state_dict() if scaler is not None else None,
            "loss_sums": sums, "torch_rng": rngs, "world_size": self.ctx.world,
            "config_digest": checkpoint.config_digest(self.cfg)})

    # -- the whole run ---------------------------------------------------------------------------

    def run(self):
        state = checkpoint.load(self.args.out, self.cfg)
        start = 0
        if state is not None:
            self.net.load_state_dict(state["model"])
            start = state["stage"]
            if state["world_size"] == self.ctx.world:
                checkpoint.set_rng_state(state["torch_rng"][self.ctx.rank], self.ctx.device)
            else:
                self.log(f"checkpoint written by {state['world_size']} process(es), resumed by {self.ctx.world}: "
                         "each rank keeps its fresh torch generator state")
            self.log(f"resuming from {self.args.out}/checkpoint.pt: stage {start + 1}, epoch "
                     f"{state['epoch'] + 1}, step {state['step_in_epoch']}" if not state["done"]
                     else f"{self.args.out}/checkpoint.pt: training already finished; exporting")
        self.net.to(self.ctx.device)
        for si in range(start, len(self.cfg["stages"])):
            self.run_stage(si, state if state is not None and si == start else None)
        if self.ctx.is_main:
            self.export()
        self.ctx.barrier()

    def export(self):
        cfg, args = self.cfg, self.args
        net = self.net.cpu()
        net.adapters_on = True
        images = held_out_images(self.val_data or self.train_data, cfg["export"]["verify_images"], net.cfg["input"])
        if self.val_data is not None and self.last_val is None:  # resumed after the last epoch
            self.last_val = validate.evaluate(net, self.val_data, torch.device("cpu"), cfg["data"]["val"].get("limit"))
        card = model_card(cfg, args, self.ctx, self.params, self.train_data, self.val_data, self.last_val)
        diffs = export.export_bundle(net, cfg["model"], args.bundle_out, images, cfg["export"]["tolerance"],
                                     cfg["export"]["dtype"], card)
        self.log("export check vs tools/reference/sinewich_ref.py: "
                 + ", ".join(f"{t} {d['max_abs_diff']:.2e}" for t, d in diffs.items()))
        if card.get("delta_m"):
            self.log(f"Δm against {card['delta_m']['baseline']}: {card['delta_m']['value']:+.2f} %")
        self.log(f"wrote {args.bundle_out}")


def held_out_images(reader, count, inp):
    """Up to count images of a reader, resized to the model size as the reference does."""
    import sinewich_ref as ref
    imgs = []
    for i in range(min(count, len(reader.ids))):
        img = reader.load(i, [])["image"]
        x = torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1).float()[None] / 255.0
        if tuple(x.shape[-2:]) != (inp["height"], inp["width"]):
            x = ref.resize_bilinear(x, (inp["height"], inp["width"]), antialias=True)
        imgs.append(x)
    return torch.cat(imgs)


def model_card(cfg, args, ctx, params, train, val, last_val):
    def where(spec, reader):
        if spec is None:
            return None
        w = spec.get("root") or f"tools/datasets/synthetic.py seed {spec.get('seed')}"
        return {"type": spec["type"], "where": w, "items": len(reader.ids), "split": spec.get("split")}

    card = {"format": "sinewich-model-card/v1", "model": {"name": cfg["model"]["name"], "version": cfg["model"]["version"]},
            "created": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            "command": " ".join(shlex.quote(a) for a in args.command),
            "config_file": args.config, "config_digest": checkpoint.config_digest(cfg), "config": cfg,
            "world_size": ctx.world, "device": str(ctx.device), "parameters": params,
            "data": {"train": where(cfg["data"]["train"], train), "val": where(cfg["data"]["val"], val)},
            "validation": last_val}
    if args.baseline and last_val:
        card["delta_m"] = validate.delta_m(last_val["primary"], args.baseline)
    return card


def launch_command(argv):
    """The command line that started this run, torchrun's options included when it did."""
    script = os.path.relpath(os.path.abspath(__file__))
    if "LOCAL_WORLD_SIZE" in os.environ:
        nodes = int(os.environ["WORLD_SIZE"]) // int(os.environ["LOCAL_WORLD_SIZE"])
        pre = ["python3", "-m", "torch.distributed.run", "--nproc_per_node", os.environ["LOCAL_WORLD_SIZE"]]
        if nodes > 1:
            pre += ["--nnodes", str(nodes)]
    else:
        pre = ["python3"]
    return pre + [script, *argv]


def main(argv=None):
    ap = argparse.ArgumentParser(description="train a Free Sinewich model and export a verified bundle")
    ap.add_argument("--config", required=True, help="training configuration (JSON, sinewich-train/v1)")
    ap.add_argument("--out", required=True, help="run directory (checkpoint, logs, bundle); reused to resume")
    ap.add_argument("--set", action="append", default=[], metavar="KEY.PATH=VALUE", help="override one setting")
    ap.add_argument("--bundle-out", default=None, help="where to write the bundle (default RUN_DIR/bundle)")
    ap.add_argument("--baseline", default=None, help="evaluation report to compute Δm against in the model card")
    ap.add_argument("--halt-after-steps", type=int, default=None, metavar="N",
                    help="testing: stop after N optimiser steps of this process and wait to be killed")
    args = ap.parse_args(argv)
    args.command = launch_command(sys.argv[1:] if argv is None else argv)
    args.bundle_out = args.bundle_out or os.path.join(args.out, "bundle")
    try:
        cfg = config_mod.load(args.config, args.set)
    except config_mod.ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    ctx = distributed.init(cfg["distributed"]["backend"])
    if cfg["threads"]:
        torch.set_num_threads(cfg["threads"])
    if ctx.is_main:
        os.makedirs(args.out, exist_ok=True)
        with open(os.path.join(args.out, "config.json"), "w", encoding="utf-8") as f:
            json.dump(cfg, f, indent=1)
            f.write("\n")
    ctx.barrier()
    log = Log(ctx, args.out)
    log(f"sinewich trainer: {args.config} -> {args.out} (rank {ctx.rank} of {ctx.world})")
    try:
        Trainer(cfg, args, ctx, log).run()
    except (config_mod.ConfigError, data.DataError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except (export.ExportError, ValueError, RuntimeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    finally:
        distributed.shutdown(ctx)
    return 0


if __name__ == "__main__":
    sys.exit(main())
