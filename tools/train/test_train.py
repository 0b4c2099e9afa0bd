"""Unit tests of the trainer's parts (seconds; tools/train/smoke.sh runs them first).

  /usr/bin/python3 tools/train/test_train.py
"""

import copy
import json
import os
import sys
import tempfile
import unittest

import numpy as np
import torch

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "datasets"))

import config  # noqa: E402
import losses  # noqa: E402
from data.augment import transform  # noqa: E402
from data.order import EpochPlan  # noqa: E402
from data.pascal import PascalContext, label_edges  # noqa: E402


def smoke_config():
    with open(os.path.join(HERE, "configs", "smoke_nyud.json"), encoding="utf-8") as f:
        raw = json.load(f)
    raw["data"]["train"]["root"] = raw["data"]["val"]["root"] = "/nowhere"
    return raw


class ConfigTest(unittest.TestCase):
    def error(self, raw):
        with self.assertRaises(config.ConfigError) as e:
            config.resolve(raw, "x.json")
        return str(e.exception)

    def test_resolves_with_defaults(self):
        cfg = config.resolve(smoke_config(), "x.json")
        self.assertEqual(cfg["stages"][0]["optimizer"]["betas"], [0.9, 0.999])
        self.assertEqual(cfg["stages"][0]["order_seed"], [5, 1])

    def test_unknown_key_names_its_path(self):
        raw = smoke_config()
        raw["stages"][0]["optimizer"]["lrr"] = 1
        self.assertIn("x.json: unknown key stages[0].optimizer.lrr", self.error(raw))

    def test_every_task_needs_a_loss(self):
        raw = smoke_config()
        del raw["losses"]["depth"]
        self.assertIn("losses.depth is missing", self.error(raw))

    def test_loss_must_fit_the_kind(self):
        raw = smoke_config()
        raw["losses"]["depth"]["type"] = "cross_entropy"
        self.assertIn("does not apply to a depth task", self.error(raw))

    def test_shared_pass_needs_adapters_off(self):
        raw = smoke_config()
        raw["stages"][0]["tasks_per_step"] = "shared"
        self.assertIn("needs adapters false", self.error(raw))

    def test_bad_model_is_reported(self):
        raw = smoke_config()
        raw["model"]["input"]["height"] = 30
        self.assertIn("model: input size must be a multiple of 8", self.error(raw))

    def test_set_overrides_list_items(self):
        raw = smoke_config()
        config.set_value(raw, "stages.0.epochs=7")
        self.assertEqual(raw["stages"][0]["epochs"], 7)


def sample(h=8, w=12):
    rng = np.random.default_rng(0)
    n = rng.normal(size=(3, h, w)).astype(np.float32)
    return {"image": rng.integers(0, 255, (h, w, 3), dtype=np.uint8),
            "semseg": rng.integers(0, 5, (h, w)).astype(np.uint8),
            "depth": rng.uniform(1, 5, (h, w)).astype(np.float32),
            "normals": n / np.linalg.norm(n, axis=0, keepdims=True),
            "saliency": (rng.random((h, w)) > 0.5).astype(np.float32)}


class AugmentTest(unittest.TestCase):
    def test_flip_mirrors_and_negates_normal_x(self):
        s = sample()
        img, g = transform(copy.deepcopy(s), (0, True, None, None, None), (8, 12))
        self.assertTrue(torch.equal(img, torch.from_numpy(s["image"]).permute(2, 0, 1).float().div(255).flip(-1)))
        n = torch.from_numpy(s["normals"]).flip(-1)
        self.assertTrue(torch.equal(g["normals"][0], -n[0]))
        self.assertTrue(torch.equal(g["normals"][1:], n[1:]))
        self.assertTrue(torch.equal(g["semseg"], torch.from_numpy(s["semseg"]).flip(-1)))

    def test_zoom_out_pads_with_ignored_pixels(self):
        img, g = transform(sample(), (0, False, 0.5, 0.0, 0.0), (8, 12))
        self.assertEqual(tuple(img.shape), (3, 8, 12))
        self.assertTrue((g["semseg"][4:] == 255).all() and (g["semseg"][:, 6:] == 255).all())
        self.assertTrue((g["depth"][4:] == 0).all() and (g["normals"][:, 4:] == 0).all())
        self.assertTrue((g["saliency"][4:] == -1).all())
        self.assertTrue((g["depth"][:4, :6] >= 2).all())  # divided by the scale: closer

    def test_zoom_in_crops_at_the_drawn_position(self):
        s = sample()
        _, g = transform(copy.deepcopy(s), (0, False, 2.0, 0.999, 0.999), (8, 12))  # u, v in [0, 1)
        self.assertTrue((g["semseg"] != 255).all())
        self.assertEqual(int(g["semseg"][-1, -1]), int(s["semseg"][-1, -1]))

    def test_other_sizes_are_brought_to_the_model_size(self):
        img, g = transform(sample(16, 24), (0, False, None, None, None), (8, 12))
        self.assertEqual(tuple(img.shape), (3, 8, 12))
        self.assertEqual(tuple(g["normals"].shape), (3, 8, 12))


class OrderTest(unittest.TestCase):
    def test_global_batch_is_the_same_for_any_number_of_processes(self):
        plan = EpochPlan(np.random.default_rng(1), 40, 8, 0.5, [0.5, 2.0])
        for world, acc in ((1, 1), (2, 1), (2, 2), (4, 2)):
            keys = [k for r in range(world) for mb in plan.micro_batches(3, r, world, acc) for k in mb]
            self.assertEqual(sorted(keys), sorted(plan.batches[3]))

    def test_same_stream_same_plan(self):
        a = EpochPlan(np.random.default_rng([0, 2]), 30, 6, 0.5, None)
        b = EpochPlan(np.random.default_rng([0, 2]), 30, 6, 0.5, None)
        self.assertEqual(a.batches, b.batches)


class LossTest(unittest.TestCase):
    def test_no_valid_pixel_gives_zero_with_a_gradient_path(self):
        O = torch.randn(2, 3, 4, 4, requires_grad=True)
        for spec, gt in (({"type": "cross_entropy"}, torch.full((2, 4, 4), 255, dtype=torch.uint8)),
                         ({"type": "normals_l1"}, torch.zeros(2, 3, 4, 4)),
                         ({"type": "balanced_bce", "pos_weight": None}, torch.full((2, 4, 4), -1.0))):
            loss = losses.task_loss(spec, O, gt)
            self.assertEqual(float(loss), 0.0)
            loss.backward()

    def test_balanced_bce_weighs_positives_by_the_share_of_negatives(self):
        O = torch.zeros(1, 1, 1, 4)
        gt = torch.tensor([[[1.0, 0.0, 0.0, 0.0]]])
        # every pixel costs ln 2; w = 3/4: (3/4 * ln2 + 1/4 * 3 ln2) / 4
        self.assertAlmostEqual(float(losses.task_loss({"type": "balanced_bce", "pos_weight": None}, O, gt)),
                               (0.75 + 0.75) * np.log(2) / 4, places=6)


class PascalTest(unittest.TestCase):
    def test_edges_are_thin_label_boundaries(self):
        m = np.zeros((6, 6), np.uint16)
        m[:, 3:] = 7
        e = label_edges(m)
        self.assertTrue((e[1:-1].sum(1) == 1).all())  # one pixel wide (thinning may shorten the ends)
        self.assertEqual(float(e[:, 2:4].sum()), float(e.sum()))

    def test_layout_with_human_parts(self):
        import tiny_layouts
        with tempfile.TemporaryDirectory() as d:
            tiny_layouts.main(["--out", d, "--train", "3", "--val", "1", "--size", "24", "32"])
            r = PascalContext(os.path.join(d, "pascal"), "train", ["semseg", "human_parts", "normals", "edges"],
                              f"db_info:{d}/pascal/db_info")
            for i in range(3):
                s = r.load(i, ["semseg", "human_parts", "normals", "edges"])
                person = s["semseg"] == 15
                if person.any():
                    self.assertTrue(set(np.unique(s["human_parts"][person])) <= {1, 2})
                else:
                    self.assertTrue((s["human_parts"] == 255).all())
                self.assertEqual(s["normals"].shape, (3, 24, 32))


if __name__ == "__main__":
    unittest.main(verbosity=1)
