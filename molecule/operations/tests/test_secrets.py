"""A secret from ansible-vault reaches the app, and nothing else can read it."""

import uuid

from playbook_run import app_name, run_playbook, vaulted


def _vaulted_secret() -> str:
    return vaulted("vault_flask_secret_key")


def test_vaulted_secret_reaches_the_app(host):
    pid = host.check_output(f"systemctl show -p MainPID --value {app_name()}.service")
    assert (
        f"FLASK_SECRET_KEY={_vaulted_secret()}" in host.file(f"/proc/{pid}/environ").content_string
    )


def test_vaulted_secret_in_no_file_others_can_read(host):
    secret = _vaulted_secret()
    found = host.run(f"grep -rlF {secret} /etc /srv /var/lib /var/log /run /tmp -s").stdout.split()
    assert f"/etc/{app_name()}/environment" in found
    readable = [path for path in found if host.file(path).mode & 0o004]
    assert readable == []


def test_vaulted_secret_never_printed_even_verbose_with_diff():
    # A changed environment file forces the task that writes the secret to report a change.
    marker = {"FLASK_DEPLOY_MARKER": str(uuid.uuid4())}
    run = run_playbook(
        "playbooks/deploy.yml", "-vvv", "--diff", extra_vars={"flaskapp_environment": marker}
    )
    assert run.rc == 0, run.output[-3000:]
    assert "changed: [" in run.output
    assert _vaulted_secret() not in run.output
