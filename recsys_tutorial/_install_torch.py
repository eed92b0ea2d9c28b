"""Install PyTorch for ``make``: the CPU wheel on Linux without an NVIDIA GPU, PyPI's default build otherwise.

PyPI's Linux torch carries ~2.5 GB of CUDA libraries that a machine without an NVIDIA GPU never uses; PyTorch's
CPU index has the same version without them. The CPU wheel is first looked for where pip already looks (PyPI
has none, but a configured ``find-links`` wheel cache may: then no network is needed), then on PyTorch's CPU
index. A torch that is already importable is kept
(Colab's, a conda one). Standard library only: it runs before anything is installed.
``python recsys_tutorial/_install_torch.py --python .venv/bin/python [--dry-run]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys

CPU_VERSION = "2.13.0+cpu"
CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def has_nvidia_gpu() -> bool:
    """An NVIDIA driver is loaded (``/proc/driver/nvidia``) or ``nvidia-smi`` is on the PATH."""
    return os.path.exists("/proc/driver/nvidia") or shutil.which("nvidia-smi") is not None


def torch_importable(python: str) -> bool:
    return subprocess.run([python, "-c", "import torch"], capture_output=True, check=False).returncode == 0


def plan(python: str, system: str, nvidia: bool, installed: bool, override: str | None) -> list[list[str]]:
    """The pip commands to try in order (the first that succeeds wins); empty when nothing is needed."""
    pip = [python, "-m", "pip", "install", "-q"]
    if installed:
        return []
    if override:
        return [[*pip, override]]
    if system == "Linux" and not nvidia:
        wheel = f"torch=={CPU_VERSION}"
        return [[*pip, wheel], [*pip, wheel, "--extra-index-url", CPU_INDEX]]  # first: a local wheel cache
    return [[*pip, "torch>=2.1"]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default=sys.executable, help="interpreter of the environment to install into")
    parser.add_argument("--torch", default=os.environ.get("TORCH") or None,
                        help="a pip requirement that overrides the choice, e.g. torch==2.5.1 (default: $TORCH)")
    parser.add_argument("--dry-run", action="store_true", help="print the pip commands instead of running them")
    args = parser.parse_args(argv)
    commands = plan(args.python, platform.system(), has_nvidia_gpu(),
                    not args.dry_run and torch_importable(args.python), args.torch)
    if not commands:
        print("torch is already installed; keeping it")
        return 0
    for i, command in enumerate(commands):
        print(("would run: " if args.dry_run else "") + " ".join(command) + (" (or else the next)"
                                                                            if i < len(commands) - 1 else ""))
    if args.dry_run:
        return 0
    for command in commands:
        if subprocess.run(command, check=False).returncode == 0:
            return 0
    print("could not install torch; set TORCH to a pip requirement that works here (e.g. TORCH=torch)",
          file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
