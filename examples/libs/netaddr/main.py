"""netaddr: IP networks and sets, and MAC addresses looked up in the IEEE OUI registry."""
from netaddr import EUI, IPAddress, IPNetwork, IPSet, cidr_merge

net = IPNetwork("192.0.2.0/26")
print(net.network, net.broadcast, net.size, list(net.subnet(28))[:2])
print(cidr_merge(["10.0.0.0/25", "10.0.0.128/25", "10.0.1.0/24"]))
print(IPSet(["10.0.0.0/24"]) - IPSet(["10.0.0.64/26"]))
print(IPAddress("2001:db8::1").reverse_dns, IPAddress("::ffff:192.0.2.1").ipv4())
mac = EUI("00-1B-63-84-45-E6")
print(mac, mac.oui.registration().org)
print(EUI("3C:5A:B4:00:00:01").oui.registration().org)
