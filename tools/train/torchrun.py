"""`python3 -m torch.distributed.run` (torchrun) for Debian's PyTorch 1.13 on Python 3.11.

  /usr/bin/python3 tools/train/torchrun.py --nproc_per_node 2 tools/train/train.py --config ... --out ...

torchrun 1.13 reads its --redirects / --tee values (default "0") by iterating over the Std flag
enum, and Python 3.11 no longer yields the zero member Std.NONE (nor the combination ALL) when a
flag enum is iterated, so every launch fails with "'NoneType' object has no attribute 'get'". This
wrapper parses those values by number instead and then runs torchrun unchanged. With a PyTorch
that does not have the problem (2.x, or any PyTorch on Python <= 3.10) use torchrun directly.
"""

import re
import sys

from torch.distributed.elastic.multiprocessing import api
from torch.distributed.run import main


def _from_str(vm):
    if re.fullmatch(r"[0-3]", vm):
        return api.Std(int(vm))
    if re.fullmatch(r"(\d:[0-3],)*\d:[0-3]", vm):
        return {int(i): api.Std(int(v)) for i, v in (m.split(":") for m in vm.split(","))}
    raise ValueError(f"{vm} does not match a number 0-3 or a mapping local_rank:number,...")


if api.Std.from_str("0") is None:
    api.Std.from_str = staticmethod(_from_str)

if __name__ == "__main__":
    sys.argv[0] = "torchrun"
    sys.exit(main())
