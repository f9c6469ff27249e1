"""The command line as a new operator meets it: one exit status per problem in every command, and
messages that name the fix."""

import os
import shutil
import subprocess

import pytest

import servers
from gpgkeys import GpgKey


def run(*args, env=None, cwd=None):
    environment = dict(os.environ, **(env or {}))
    environment.pop("OCI_DISTRIBUTION_TERRAFORM_REGISTRY_CONFIG", None)
    environment.update(env or {})
    return subprocess.run([servers.BINARY, *args], capture_output=True, text=True, env=environment, cwd=cwd,
                          timeout=60)


@pytest.mark.parametrize("command", [["check-config"], ["server"], ["push", "provider", "--service", "m", "a/b",
                                                                      "1.0.0", "x.zip"]])
def test_a_missing_configuration_is_78_in_every_command(command, tmp_path):
    r = run("--config", str(tmp_path / "missing.hcl"), *command)
    assert r.returncode == 78, (command, r.stderr)
    assert "missing.hcl: cannot read the configuration file: No such file or directory" in r.stderr
    named = run(*command, env={"OCI_DISTRIBUTION_TERRAFORM_REGISTRY_CONFIG": str(tmp_path / "gone.hcl")},
                cwd=str(tmp_path))
    assert named.returncode == 78
    assert ('the environment variable OCI_DISTRIBUTION_TERRAFORM_REGISTRY_CONFIG names "%s", which does not exist'
            % (tmp_path / "gone.hcl")) in named.stderr


def test_check_config_exits_78_for_errors_and_says_so_in_its_help(tmp_path):
    assert "78 when it is not" in run("check-config", "--help").stdout
    bad = tmp_path / "bad.hcl"
    bad.write_text('provider_mirror "m" {\n  origin_url = "http://h:5000/v2/"\n}\n')
    r = run("check-config", "--config", str(bad))  # --config may follow the command
    assert r.returncode == 78
    assert "origin_url is the registry's root" in r.stderr


def test_the_current_directory_is_not_searched(tmp_path):
    (tmp_path / "config.hcl").write_text('provider_mirror "m" {\n  origin_url = "http://h:5000"\n}\n')
    r = run("check-config", cwd=str(tmp_path), env={"HOME": str(tmp_path / "home"), "XDG_CONFIG_DIRS": "/nonexistent"})
    assert r.returncode == 78
    assert "./config.hcl is never read unless named" in r.stderr


def test_a_protected_key_without_a_passphrase_names_the_attribute_to_set(tmp_path):
    key = GpgKey(str(tmp_path), "protected", passphrase="s3cret")
    try:
        config = tmp_path / "c.hcl"
        config.write_text('provider_registry "r" {\n  origin_url = "http://h:5000"\n  signing_key_file = "%s"\n}\n'
                          % key.secret_file)
        r = run("--config", str(config), "check-config")
        assert r.returncode == 78
        assert ('the key in "%s" needs a passphrase: set signing_key_passphrase_file or signing_key_passphrase_env'
                % key.secret_file) in r.stderr, r.stderr
        (tmp_path / "pass").write_text("wrong\n")
        config.write_text('provider_registry "r" {\n  origin_url = "http://h:5000"\n  signing_key_file = "%s"\n'
                          '  signing_key_passphrase_file = "pass"\n}\n' % key.secret_file)
        r = run("--config", str(config), "check-config")
        assert r.returncode == 78 and "is not its passphrase" in r.stderr, r.stderr
        (tmp_path / "pass").write_text("s3cret\n")
        assert run("--config", str(config), "check-config").returncode == 0
    finally:
        key.stop()


def test_from_mirror_one_level_too_deep_names_the_directory_meant(tmp_path):
    provider = tmp_path / "mirror" / "registry.terraform.io" / "acme" / "widget"
    provider.mkdir(parents=True)
    shutil.copy(os.path.join(servers.ROOT, "test", "unit", "data", "provider-single.zip"),
                provider / "terraform-provider-widget_1.0.0_linux_amd64.zip")
    out = "oci-layout:" + str(tmp_path / "layout")
    host_dir = str(tmp_path / "mirror" / "registry.terraform.io")
    for given in (host_dir, host_dir + "/"):  # a shell's completion adds the slash
        r = run("push", "provider", "--to", out, "--from-mirror", given)
        assert r.returncode == 64
        assert ('is one hostname\'s directory of a mirror, not the mirror itself: give "%s"' % (tmp_path / "mirror")
                in r.stderr), r.stderr
    r = run("push", "provider", "--to", out, "--from-mirror", str(provider) + "/")
    assert ('is one provider\'s directory of a mirror, not the mirror itself: give "%s"' % (tmp_path / "mirror")
            in r.stderr), r.stderr
    r = run("push", "provider", "--to", out, "--from-mirror", str(tmp_path / "mirror"))
    assert r.returncode == 64
    assert "%s/1.0.0.json: missing" % provider in r.stderr, r.stderr
