"""Run the Streamlit app in a subprocess on a loopback port (browser tests and the app benchmark)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def start_app(home: Path, log: Path, env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    """``streamlit run app.py`` on a free loopback port over ``home``, once it answers its health check.

    Args:
        home: The knowledge base (``CTKB_HOME``).
        log: Where the server's output goes (shown in the error when it fails to start).
        env: The environment (default: this process's), ``CTKB_HOME`` set on top.
    """
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    exe = Path(sys.executable).parent / "streamlit"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "streamlit"]
    cmd += ["run", "app.py", "--server.port", str(port), "--server.address", "127.0.0.1",
            "--server.headless", "true", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=REPO, env={**(env or os.environ), "CTKB_HOME": str(home)}, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    return proc, url
        except OSError:
            pass
        time.sleep(0.5)
    stop_app(proc)
    raise RuntimeError(f"streamlit did not answer on {url} within 120 s:\n{log.read_text()[-3000:]}")


def stop_app(proc: subprocess.Popen) -> None:
    """Stop the server and its children (its own process group)."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=15)
    except ProcessLookupError:
        pass
