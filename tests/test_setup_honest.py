"""An honest set-up (issue 13, item 6): a test skipped for a missing system package fails
`make test` unless the gap is accepted by name; the Makefile says what to install first."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = '''
import pytest

@pytest.mark.skipif(True, reason="/usr/bin/chromium is missing: apt-get install chromium (.ci/run does)")
def test_browser():
    pass

@pytest.mark.skipif(True, reason="Graphviz not installed")
def test_svg():
    pass

@pytest.mark.skipif(True, reason="only on Tuesdays")
def test_other():
    pass
'''


def run_sample(tmp_path: Path, allow: str | None) -> subprocess.CompletedProcess:
    shutil.copy(ROOT / "tests" / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "test_sample.py").write_text(SAMPLE)
    env = {k: v for k, v in os.environ.items() if k != "WEGWIJZER_ALLOW_MISSING"}
    if allow is not None:
        env["WEGWIJZER_ALLOW_MISSING"] = allow
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rA", str(tmp_path)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def test_a_skip_for_a_missing_system_package_fails(tmp_path: Path) -> None:
    proc = run_sample(tmp_path, None)
    assert proc.returncode != 0
    assert "system package is missing (chromium)" in proc.stdout
    assert "system package is missing (graphviz)" in proc.stdout
    assert "1 skipped" in proc.stdout  # another reason to skip stays a skip


@pytest.mark.parametrize("allow", ["chromium,graphviz", "all"])
def test_a_named_gap_is_accepted(tmp_path: Path, allow: str) -> None:
    proc = run_sample(tmp_path, allow)
    assert proc.returncode == 0, proc.stdout
    assert "3 skipped" in proc.stdout


def test_only_the_named_gap_is_accepted(tmp_path: Path) -> None:
    proc = run_sample(tmp_path, "chromium")
    assert proc.returncode != 0 and "(graphviz)" in proc.stdout and "(chromium)" not in proc.stdout


needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="make not installed")


def fake_machine(tmp_path: Path, *, uid: int, sudo: bool, apt_works: bool = True) -> tuple[dict[str, str], Path]:
    """A PATH with fake `id`, `sudo` and `apt-get` in front, and where a missing Chromium and dot
    would be; apt-get logs its arguments and, when it works, puts the packages there."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "apt.log"
    chromium = tmp_path / "chromium"

    def script(name: str, body: str) -> None:
        (bin_dir / name).write_text("#!/bin/sh\n" + body)
        (bin_dir / name).chmod(0o755)

    script("id", f"echo {uid}\n")
    script("sudo", 'if [ "$1" = -n ]; then shift; fi\nexec "$@"\n' if sudo else "exit 1\n")
    installs = (f"for p in \"$@\"; do case $p in chromium) printf '#!/bin/sh\\n' > {chromium}; chmod +x {chromium};; "
                f"graphviz) printf '#!/bin/sh\\n' > {bin_dir}/fake-dot; chmod +x {bin_dir}/fake-dot;; esac; done\n")
    script("apt-get", f'echo "$*" >> {log}\n' + (installs if apt_works else "exit 100\n"))
    env = {k: v for k, v in os.environ.items() if k != "WEGWIJZER_ALLOW_MISSING"}
    env["PATH"] = f"{bin_dir}:{env['PATH']}"
    return env, log


def check_system(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "-s", "check-system", f"CHROMIUM={tmp_path / 'chromium'}", "DOT=fake-dot",
                           f"PG_INITDB={tmp_path}/no-postgresql/*/bin/initdb"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


@needs_make
def test_make_test_stops_first_and_says_what_to_install(tmp_path: Path) -> None:
    """Neither root nor passwordless sudo: nothing is installed, one line says what to run."""
    env, log = fake_machine(tmp_path, uid=1000, sudo=False)
    proc = check_system(tmp_path, env)
    assert proc.returncode != 0
    assert "sudo apt-get install chromium graphviz postgresql" in proc.stderr
    assert not log.exists()
    accepted = check_system(tmp_path, {**env, "WEGWIJZER_ALLOW_MISSING": "chromium,graphviz,postgresql"})
    assert accepted.returncode == 0, accepted.stderr
    assert not log.exists()


@needs_make
@pytest.mark.parametrize("uid, sudo", [(0, False), (1000, True)], ids=["root", "passwordless-sudo"])
def test_make_test_installs_what_is_missing_when_it_can(tmp_path: Path, uid: int, sudo: bool) -> None:
    env, log = fake_machine(tmp_path, uid=uid, sudo=sudo)
    proc = check_system(tmp_path, {**env, "WEGWIJZER_ALLOW_MISSING": "postgresql"})
    assert proc.returncode == 0, proc.stderr
    assert "installing system package(s) from Debian: chromium graphviz" in proc.stderr
    assert log.read_text().splitlines() == ["update -qq", "install -y -qq chromium graphviz"]
    again = check_system(tmp_path, {**env, "WEGWIJZER_ALLOW_MISSING": "postgresql"})
    assert again.returncode == 0 and again.stderr == ""  # nothing left to do, nothing said
    assert len(log.read_text().splitlines()) == 2


@needs_make
def test_a_failed_install_stops_make_test(tmp_path: Path) -> None:
    env, log = fake_machine(tmp_path, uid=0, sudo=False, apt_works=False)
    proc = check_system(tmp_path, {**env, "WEGWIJZER_ALLOW_MISSING": "graphviz,postgresql"})
    assert proc.returncode != 0
    assert "apt-get install chromium did not succeed" in proc.stderr
    assert log.read_text().splitlines() == ["update -qq"]  # update failed: install never tried


def test_ci_and_make_test_share_one_list_of_system_packages() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert "sh .ci/system-packages" in ci and "make test" in ci and "apt-get" not in ci
    assert "sh .ci/system-packages" in (ROOT / "Makefile").read_text()
    needs = (ROOT / ".ci" / "system-packages").read_text()
    assert "chromium:$CHROMIUM" in needs and "graphviz:$DOT" in needs and "postgresql:$PG_INITDB" in needs


def test_readme_names_the_report_not_a_path_outside_the_project() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "Verbinden van participatie en zorg" in readme
    assert "SZW" in readme and "VWS" in readme and "BZK" in readme
    assert "../shared" not in readme
    assert "apt-get install chromium graphviz" in readme
