"""The private address every role reads (roles/common/filter_plugins/addresses.py)."""

import pytest
from ansible.errors import AnsibleFilterError
from library import role_module

addresses = role_module("common", "addresses", "filter_plugins")


def host(*ipv4, **inventory):
    return {
        "inventory_hostname": "app1",
        "ansible_facts": {"all_ipv4_addresses": list(ipv4)},
        **inventory,
    }


@pytest.mark.parametrize(
    "ipv4, expected",
    [
        (["203.0.113.5", "10.1.2.3"], "10.1.2.3"),
        (["172.20.0.4"], "172.20.0.4"),
        (["192.168.1.9", "10.0.0.1"], "192.168.1.9"),
    ],
)
def test_the_first_private_address_is_the_hosts(ipv4, expected):
    assert addresses.flaskstack_private_address(host(*ipv4)) == expected


def test_the_inventory_wins():
    chosen = host("10.0.0.1", flaskstack_private_address="198.51.100.7")
    assert addresses.flaskstack_private_address(chosen) == "198.51.100.7"


def test_a_host_with_only_public_addresses_names_the_variable():
    with pytest.raises(
        AnsibleFilterError, match=r"No private address for app1.*flaskstack_private_address"
    ):
        addresses.flaskstack_private_address(host("203.0.113.5", "172.32.0.1"))


def test_a_host_without_facts_says_so():
    with pytest.raises(AnsibleFilterError, match="no facts of its network"):
        addresses.flaskstack_private_address({"inventory_hostname": "db"})
