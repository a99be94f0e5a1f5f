"""bench/bench_rss.py measures every process the Procfile starts, as the Procfile starts it."""

from __future__ import annotations

from bench.bench_rss import PROCFILE, procfile_commands


def test_every_procfile_process_is_measured_with_its_own_arguments() -> None:
    commands = procfile_commands(PROCFILE.read_text())
    assert commands == {
        "web": ["serve", "--platforms", "slack", "--no-worker", "--no-scheduler", "--no-plan"],
        "planner": ["planner", "run"],
        "discord": ["discord"],
        "worker": ["worker"],
        "scheduler": ["scheduler"],
    }


def test_the_procfile_host_and_port_give_way_to_the_bench_s_health_port() -> None:
    text = "web: deputy serve --host 0.0.0.0 --port=${PORT:-8080} --no-plan\n# a comment: x\n"
    assert procfile_commands(text) == {"web": ["serve", "--no-plan"]}
