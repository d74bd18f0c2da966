"""deploy/nginx.conf filled in by deploy/serve.py is a configuration nginx accepts, with one
server per app process and every path nginx writes under its own folder. (Two processes behind
it in a browser: tests/browser/test_proxy.py.)"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from deploy import serve

IN_CI = os.environ.get("CI", "").lower() == "true"


def test_the_template_is_filled_in_with_a_server_per_process(tmp_path):
    config = serve.render(prefix=tmp_path, listen="0.0.0.0:8500", app_ports=[8501, 8502, 8503])
    assert "{{" not in config
    servers = re.findall(r"^\s*server (127\.0\.0\.1:\d+) max_fails=\d+ fail_timeout=\d+s;$", config, re.M)
    assert servers == ["127.0.0.1:8501", "127.0.0.1:8502", "127.0.0.1:8503"]
    assert "listen 0.0.0.0:8500;" in config
    paths = re.findall(r"^\s*(?:pid|lock_file|error_log|access_log|\w+_temp_path) (\S+?)[; ]", config, re.M)
    assert len(paths) == 9 and all(p.startswith(f"{tmp_path}/") for p in paths), paths
    with pytest.raises(KeyError, match="unknown placeholder"):
        serve.render(prefix=tmp_path, listen="8500", app_ports=[8501], template="listen {{port}};")


def test_nginx_accepts_it(tmp_path):
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.access(nginx, os.X_OK):
        if IN_CI:
            pytest.fail("CI=true: nginx missing (scripts/setup.sh test installs it)", pytrace=False)
        pytest.skip("nginx missing (apt-get install nginx)")
    (tmp_path / "logs").mkdir()
    (tmp_path / "temp").mkdir()
    config = tmp_path / "nginx.conf"
    config.write_text(serve.render(prefix=tmp_path, listen="127.0.0.1:8500", app_ports=[8501, 8502]))
    result = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(config), "-e", "stderr"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr
