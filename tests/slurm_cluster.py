"""A single-node SLURM cluster on this machine, for the tests that submit Dask workers as
jobs: munge (authentication) and SLURM's controller and node daemons, all from Debian's
packages, with their keys, sockets, state and logs in one temporary folder and no systemd.
It needs root (slurmd runs jobs as their user) and the packages ``slurmctld slurmd
slurm-client munge``; `.ci/run` installs them. Where either is missing, :func:`start` says
why, for a one-line skip."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

PROGRAMS = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "scancel", "sinfo")


@dataclass(frozen=True)
class Slurm:
    """A running cluster: ``env`` is this process's environment plus ``SLURM_CONF``, for the
    SLURM commands and for Dask's job submission (sbatch hands it to the jobs)."""

    folder: Path
    env: dict[str, str]

    def command(self, *args: str) -> str:
        """Run a SLURM client command against this cluster; returns what it printed."""
        done = subprocess.run(args, env=self.env, capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)}: {done.stderr.strip()}")
        return done.stdout

    def running_jobs(self) -> list[str]:
        """Ids of the jobs in state RUNNING, oldest first."""
        out = self.command("squeue", "--noheader", "--states=RUNNING", "--format=%i")
        return sorted(out.split(), key=int)

    def jobs(self) -> list[str]:
        """Ids of every job the controller still knows (pending, running, completing)."""
        return sorted(self.command("squeue", "--noheader", "--format=%i").split(), key=int)


def why_not() -> str | None:
    """Why a SLURM cluster cannot start here, or None when it can."""
    if os.geteuid() != 0:
        return "SLURM's node daemon needs root"
    missing = [name for name in PROGRAMS if shutil.which(name) is None]
    if missing:
        return f"SLURM is not installed ({', '.join(missing)} missing; .ci/run installs it)"
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _conf(folder: Path, host: str) -> str:
    # no accounting, no cgroups, processes tracked from /proc: what runs without systemd
    return "\n".join(
        [
            "ClusterName=flowsim-tests",
            f"SlurmctldHost={host}",
            f"SlurmctldPort={_free_port()}",
            f"SlurmdPort={_free_port()}",
            "AuthType=auth/munge",
            "CredType=cred/munge",
            f"AuthInfo=socket={folder}/munge/munge.socket",
            "SlurmUser=root",
            "SlurmdUser=root",
            f"StateSaveLocation={folder}/state",
            f"SlurmdSpoolDir={folder}/spool",
            f"SlurmctldPidFile={folder}/slurmctld.pid",
            f"SlurmdPidFile={folder}/slurmd.pid",
            f"SlurmctldLogFile={folder}/log/slurmctld.log",
            f"SlurmdLogFile={folder}/log/slurmd.log",
            "ProctrackType=proctrack/linuxproc",
            "TaskPlugin=task/none",
            "JobAcctGatherType=jobacct_gather/none",
            "AccountingStorageType=accounting_storage/none",
            "SelectType=select/cons_tres",
            "SelectTypeParameters=CR_Core",
            "ReturnToService=2",
            "MpiDefault=none",
            # a cancelled job's processes are killed at once, not after 30 s
            "KillWait=1",
            f"NodeName={host} CPUs={os.cpu_count() or 1} RealMemory=4000 State=UNKNOWN",
            f"PartitionName=tests Nodes={host} Default=YES MaxTime=INFINITE State=UP",
            "",
        ]
    )


def start(folder: Path, timeout_s: float = 60.0) -> Slurm:
    """Start munged, slurmctld and slurmd with everything under ``folder`` (created with
    mode 0755: munged refuses a socket folder others can write to); returns once the node
    is idle. Call :func:`stop` with the result."""
    for sub in ("munge", "state", "spool", "log"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    for path in (folder, folder / "munge"):
        path.chmod(0o755)
    key = folder / "munge.key"
    key.write_bytes(os.urandom(1024))
    key.chmod(0o400)
    host = socket.gethostname()
    conf = folder / "slurm.conf"
    conf.write_text(_conf(folder, host), encoding="utf-8")
    munge = folder / "munge"
    subprocess.run(
        [
            "munged",
            "--force",
            f"--key-file={key}",
            f"--socket={munge}/munge.socket",
            f"--pid-file={munge}/munged.pid",
            f"--log-file={folder}/log/munged.log",
            f"--seed-file={munge}/seed",
        ],
        check=True,
        timeout=30,
    )
    env = {**os.environ, "SLURM_CONF": str(conf)}
    for daemon in ("slurmctld", "slurmd"):
        subprocess.run([daemon, "-f", str(conf)], env=env, check=True, timeout=30)
    slurm = Slurm(folder, env)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if slurm.command("sinfo", "--noheader", "--format=%T").strip() == "idle":
                return slurm
        except RuntimeError:
            pass  # the controller is not answering yet
        time.sleep(0.2)
    stop(slurm)
    raise RuntimeError(f"SLURM's node did not become idle in {timeout_s} s; see {folder}/log")


def stop(slurm: Slurm) -> None:
    """Cancel every job, then stop the daemons this cluster started (by their pid files)."""
    with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
        slurm.command("scancel", "--full", "--user=root")
    for pid_file in ("slurmd.pid", "slurmctld.pid", "munge/munged.pid"):
        path = slurm.folder / pid_file
        try:
            pid = int(path.read_text().strip())
            os.kill(pid, 15)
        except (OSError, ValueError):
            continue
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except OSError:
                break
            time.sleep(0.1)
