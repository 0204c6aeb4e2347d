"""Warm kernels: one Jupyter kernel per worker process, reused across reports.

:class:`WarmKernel` starts a ``python3`` kernel once and runs notebooks on it cell
by cell (nbclient). Before each notebook it resets the kernel's namespace
(``%reset -f``, figures closed, working directory and the report's environment
variables set), so no variable of one report is visible to the next while the
imported modules stay loaded — the cost of a kernel start and of the imports is
paid once per worker instead of once per report.

The kernel dies with its worker (``PR_SET_PDEATHSIG`` on Linux), and the worker
with the runner (:func:`die_with_parent`).
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Mapping

KERNEL = "python3"
PR_SET_PDEATHSIG = 1

RESET = """%reset -f
import os as _os, sys as _sys
_os.chdir({root!r})
_os.environ.update({env!r})
if "matplotlib.pyplot" in _sys.modules:
    _sys.modules["matplotlib.pyplot"].close("all")
del _os, _sys
"""


def die_with_parent(sig: int = signal.SIGKILL) -> None:
    """Ask the kernel to send ``sig`` to this process when its parent exits (Linux; elsewhere a no-op)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)


class WarmKernel:
    """A kernel started once in ``root`` and reused: :meth:`execute` runs one notebook in a clean namespace."""

    def __init__(self, root: str, timeout: int | None = 600):
        self.root, self.timeout = root, timeout
        self.km = self.kc = None

    def start(self) -> None:
        from jupyter_client import KernelManager

        self.km = KernelManager(kernel_name=KERNEL)
        self.km.start_kernel(cwd=self.root, extra_arguments=["--IPKernelApp.log_level=CRITICAL"], preexec_fn=die_with_parent)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=120)

    def stop(self) -> None:
        """Shut the kernel down (killing it if it does not answer)."""
        if self.km is not None:
            try:
                self.kc.stop_channels()
                self.km.shutdown_kernel(now=True)
            finally:
                self.km = self.kc = None

    def _reset(self, env: Mapping[str, str]) -> None:
        reply = self.kc.execute_interactive(
            RESET.format(root=self.root, env=dict(env)), silent=True, store_history=False, timeout=60, output_hook=lambda msg: None
        )
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"kernel reset failed: {reply['content'].get('evalue', '')}")

    def execute(self, nb, env: Mapping[str, str]) -> None:
        """Run every code cell of ``nb`` in place (outputs recorded) after a namespace reset.

        Stops at the first failing cell (``nbclient.exceptions.CellExecutionError``);
        a dead kernel is restarted for the next notebook and its error re-raised.
        """
        from nbclient import NotebookClient
        from nbclient.exceptions import DeadKernelError

        if self.km is None or not self.km.is_alive():
            self.stop()
            self.start()
        self._reset(env)
        client = NotebookClient(nb, km=self.km, timeout=self.timeout, kernel_name=KERNEL, resources={"metadata": {"path": self.root}})
        client.kc = self.kc
        client.reset_execution_trackers()
        try:
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index)
        except DeadKernelError:
            self.stop()
            raise
