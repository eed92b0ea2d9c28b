"""make's PyTorch choice, without network: the CPU wheel on Linux without an NVIDIA GPU, else PyPI's build."""

from __future__ import annotations

import subprocess
import sys

from recsys_tutorial import _install_torch as it


def test_linux_without_gpu_takes_the_cpu_wheel_local_first():
    cmds = it.plan("py", "Linux", nvidia=False, installed=False, override=None)
    assert cmds == [["py", "-m", "pip", "install", "-q", f"torch=={it.CPU_VERSION}"],
                    ["py", "-m", "pip", "install", "-q", f"torch=={it.CPU_VERSION}", "--extra-index-url",
                     "https://download.pytorch.org/whl/cpu"]]
    assert it.CPU_VERSION.endswith("+cpu")  # a local version PyPI never serves: no CUDA libraries by mistake


def test_gpu_machines_macs_installed_torch_and_overrides():
    assert it.plan("py", "Linux", nvidia=True, installed=False, override=None) == [
        ["py", "-m", "pip", "install", "-q", "torch>=2.1"]]
    assert it.plan("py", "Darwin", nvidia=False, installed=False, override=None)[0][-1] == "torch>=2.1"
    assert it.plan("py", "Linux", nvidia=False, installed=True, override=None) == []  # Colab's torch is kept
    assert it.plan("py", "Linux", nvidia=False, installed=False, override="torch==2.5.1") == [
        ["py", "-m", "pip", "install", "-q", "torch==2.5.1"]]


def test_dry_run_prints_and_installs_nothing(root):
    done = subprocess.run([sys.executable, str(root / "recsys_tutorial" / "_install_torch.py"), "--dry-run",
                           "--python", "/nonexistent/python", "--torch", "torch==9.9"], capture_output=True,
                          text=True, check=False, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == (
        "would run: /nonexistent/python -m pip install -q torch==9.9")
