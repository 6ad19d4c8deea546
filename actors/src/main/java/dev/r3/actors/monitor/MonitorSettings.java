package dev.r3.actors.monitor;

import com.typesafe.config.Config;
import dev.r3.actors.config.ConfigReader;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * The {@code r3.monitor} settings: where the monitor listens and who may read it.
 *
 * @param port 0 = no server (the monitor actor still collects, and publishes to Kamon)
 * @param host bind address; anything but a loopback address needs a token
 * @param token bearer token the page and the API require; empty = none
 */
public record MonitorSettings(int port, String host, String token) {

  public static final MonitorSettings OFF = new MonitorSettings(0, "127.0.0.1", "");

  /** Reads and checks {@code r3.monitor}; a non-loopback host without a token is refused. */
  public static MonitorSettings from(Config root) {
    ConfigReader r = ConfigReader.of(root);
    MonitorSettings s =
        new MonitorSettings(
            r.portOrZero("r3.monitor.port"),
            r.nonEmpty("r3.monitor.host"),
            r.string("r3.monitor.token"));
    if (s.port() > 0 && !s.loopback() && s.token().isBlank()) {
      throw new IllegalArgumentException(
          "r3.monitor.host is "
              + s.host()
              + ", not a loopback address: set r3.monitor.token (the page and the API then"
              + " require it as a bearer token)");
    }
    return s;
  }

  public boolean enabled() {
    return port > 0;
  }

  public boolean loopback() {
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("r3.monitor.host: unknown host " + host, e);
    }
  }

  /** Whether requests must carry the token (always when one is set). */
  public boolean tokenRequired() {
    return !token.isBlank();
  }
}
