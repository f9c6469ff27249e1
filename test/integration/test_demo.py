"""The README's `make demo` keeps working: its --check mode goes through the whole chain once."""

import os
import subprocess
import sys

import servers


def test_demo_serves_the_sample_provider():
    result = subprocess.run([sys.executable, os.path.join(servers.ROOT, "scripts", "demo.py"), "--check"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert '{"versions":{"1.0.0":{},"1.1.0":{}}}' in result.stdout
