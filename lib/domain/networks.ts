/** Address lists from configuration (TRUSTED_PROXIES, TRUSTED_NETWORKS): CIDRs or bare addresses, checked by loadConfig. */
import { BlockList, isIP } from "node:net";

export function ipFamily(address: string): "ipv4" | "ipv6" {
  return isIP(address) === 6 ? "ipv6" : "ipv4";
}

/** Adds each entry ("192.0.2.0/24", "2001:db8::/32", "198.51.100.7") to a BlockList (a new one unless given). */
export function addressList(entries: readonly string[], list = new BlockList()): BlockList {
  for (const entry of entries) {
    const [addr, bits] = entry.split("/");
    if (bits === undefined) list.addAddress(addr, ipFamily(addr));
    else list.addSubnet(addr, Number(bits), ipFamily(addr));
  }
  return list;
}
