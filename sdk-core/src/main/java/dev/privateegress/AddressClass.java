package dev.privateegress;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * Classifies an IP address the way VPC egress routing sees it. With {@code private-ranges-only},
 * only {@link #PRIVATE} destinations (RFC 1918, RFC 6598, IPv6 ULA) enter the VPC; everything else
 * takes the internet path.
 */
public enum AddressClass {
  LOOPBACK("loopback"),
  LINK_LOCAL("link-local"),
  PRIVATE("private"),
  PUBLIC("public");

  private final String id;

  AddressClass(String id) {
    this.id = id;
  }

  /** The stable lower-case id of this address class, as used in configuration, JSON and logs. */
  public String id() {
    return id;
  }

  @Override
  public String toString() {
    return id;
  }

  /** Classifies {@code address} without any lookup. */
  public static AddressClass of(InetAddress address) {
    if (address.isLoopbackAddress() || address.isAnyLocalAddress()) {
      return LOOPBACK;
    }
    if (address.isLinkLocalAddress()) {
      return LINK_LOCAL;
    }
    byte[] b = address.getAddress();
    if (address instanceof Inet4Address) {
      int a0 = b[0] & 0xff;
      int a1 = b[1] & 0xff;
      if (a0 == 10 || (a0 == 172 && a1 >= 16 && a1 <= 31) || (a0 == 192 && a1 == 168)) {
        return PRIVATE; // RFC 1918
      }
      if (a0 == 100 && a1 >= 64 && a1 <= 127) {
        return PRIVATE; // RFC 6598 shared address space, usable for VPC subnets
      }
      return PUBLIC;
    }
    if (address instanceof Inet6Address && (b[0] & 0xfe) == 0xfc) {
      return PRIVATE; // fc00::/7 unique local
    }
    return PUBLIC;
  }
}
