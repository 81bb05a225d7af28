package dev.privateegress.http.internal;

import dev.privateegress.AddressClass;
import dev.privateegress.EgressInfo;
import dev.privateegress.EgressScope;
import dev.privateegress.internal.Hosts;
import dev.privateegress.internal.NetworkAdvice;
import dev.privateegress.PrivateEgress;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import okhttp3.Dns;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code PRIVATE_EGRESS_HOSTS} first, then the fallback resolver (the system's unless the user set one).
 * A name that does not resolve fails with advice built from the egress evidence known at that moment
 * (never triggering detection I/O); a public address under {@code private-ranges-only} is warned about
 * once per host.
 */
public final class EgressDns implements Dns {
  private static final Logger log = LoggerFactory.getLogger(EgressDns.class);

  private final PrivateEgress egress;
  private final Map<String, List<InetAddress>> overrides;
  private final Dns fallback;
  private final Set<String> warned = ConcurrentHashMap.newKeySet();

  /**
   * A resolver for {@code egress}'s overrides, then {@code fallback}.
   *
   * @param egress supplies {@code PRIVATE_EGRESS_HOSTS} and the egress evidence used in error messages
   * @param fallback the resolver for names without an override; null means {@link Dns#SYSTEM}
   */
  public EgressDns(PrivateEgress egress, Dns fallback) {
    this.egress = Objects.requireNonNull(egress, "egress");
    this.overrides = egress.config().hostOverrides();
    this.fallback = fallback == null ? Dns.SYSTEM : fallback;
  }

  /**
   * The resolver this one falls back to for names without an override.
   *
   * @return the fallback resolver, never null
   */
  public Dns fallback() {
    return fallback;
  }

  @Override
  public List<InetAddress> lookup(String hostname) throws UnknownHostException {
    String key = hostname.toLowerCase(Locale.ROOT);
    if (key.endsWith(".")) {
      key = key.substring(0, key.length() - 1);
    }
    List<InetAddress> addresses = overrides.get(key);
    if (addresses != null) {
      log.debug("{} -> {} via PRIVATE_EGRESS_HOSTS", hostname, addresses);
    } else {
      try {
        addresses = fallback.lookup(hostname);
      } catch (UnknownHostException e) {
        UnknownHostException explained = new Unresolved(hostname + " does not resolve ("
            + e.getMessage() + "): " + NetworkAdvice.lookupFailed(egress.knownEgress(), hostname));
        explained.initCause(e);
        throw explained;
      }
    }
    warnIfBypassingVpc(hostname, addresses);
    return addresses;
  }

  /** A name that does not resolve, already explained with the egress advice: passed on as it is. */
  static final class Unresolved extends UnknownHostException {
    private static final long serialVersionUID = 1L;

    Unresolved(String message) {
      super(message);
    }
  }

  private void warnIfBypassingVpc(String hostname, List<InetAddress> addresses) {
    for (InetAddress a : addresses) {
      if (AddressClass.of(a) != AddressClass.PUBLIC) {
        continue;
      }
      EgressInfo known = egress.knownEgress();
      if (known.scope() == EgressScope.PRIVATE_RANGES_ONLY && warned.add(hostname.toLowerCase(Locale.ROOT))) {
        log.warn("{} resolves to public address {} while egress scope is private-ranges-only ({}): this "
            + "traffic bypasses the VPC and its Cloud NAT static IP. Use egress all-traffic, or point the "
            + "name at a private address", hostname, Hosts.literal(a), known.source());
      }
      return;
    }
  }

  @Override
  public String toString() {
    return "EgressDns{overrides=" + overrides.keySet() + ", fallback=" + fallback + "}";
  }
}
