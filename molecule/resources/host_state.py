"""What a run that must change nothing must leave exactly as it was, read from a host."""

from __future__ import annotations

# Every file's checksum and every link's target under the given directories.
_TREE = (
    "for dir in {dirs}; do"
    " find $dir -type f -print0 | sort -z | xargs -0 -r sha256sum;"
    " find $dir -type l -printf '%p -> %l\\n' | sort; done"
)


def config_state(host, app_name: str) -> str:
    """nginx's and the app's configuration, units and release links, and nginx's master."""
    dirs = f"/etc/nginx /etc/{app_name} /etc/systemd/system /srv/{app_name}/current"
    master = host.check_output("systemctl show -p MainPID --value nginx.service")
    return host.check_output(_TREE.format(dirs=dirs)) + f"\nnginx master {master}"
