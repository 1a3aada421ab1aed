"""How the hosts of a fleet reach each other, as a Jinja filter every role reads
(roles depend on common): a host's private address. Unit-tested in tests/test_common_filters.py."""

from __future__ import annotations

import ipaddress

from ansible.errors import AnsibleFilterError

_PRIVATE = [ipaddress.ip_network(net) for net in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")]


def flaskstack_private_address(host: dict) -> str:
    """The address the other hosts of the fleet reach HOST (its hostvars) on:
    flaskstack_private_address from the inventory, else its first private IPv4 address
    (RFC 1918) from its facts. Fails naming the host and the variable to set."""
    chosen = host.get("flaskstack_private_address")
    if chosen:
        return str(chosen)
    name = host.get("inventory_hostname", "a host")
    facts = host.get("ansible_facts") or {}
    if "all_ipv4_addresses" not in facts:
        raise AnsibleFilterError(
            f"{name}: no facts of its network in this run, so its private address is unknown. "
            "Set flaskstack_private_address for it in the inventory, or include it in the run."
        )
    for address in facts["all_ipv4_addresses"]:
        if any(ipaddress.ip_address(address) in net for net in _PRIVATE):
            return address
    raise AnsibleFilterError(
        f"No private address for {name}: none of its IPv4 addresses "
        f"({', '.join(facts['all_ipv4_addresses']) or 'none'}) is in 10.0.0.0/8, 172.16.0.0/12 "
        "or 192.168.0.0/16. Set flaskstack_private_address for it in the inventory "
        "(the address the other hosts reach it on)."
    )


class FilterModule:
    def filters(self):
        return {"flaskstack_private_address": flaskstack_private_address}
