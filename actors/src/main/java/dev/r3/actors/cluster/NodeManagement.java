package dev.r3.actors.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.r3.actors.config.ConfigReader;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.management.cluster.bootstrap.ClusterBootstrap;
import org.apache.pekko.management.javadsl.PekkoManagement;

/**
 * Pekko Management on a cluster node ({@code r3.cluster.management}, {@code r3.cluster.bootstrap}
 * in reference.conf): the pekko settings they stand for, and starting the HTTP endpoint ({@code
 * /ready}, {@code /alive}, {@code /cluster/members}) and, when a discovery method is set, Cluster
 * Bootstrap, which then forms or joins the cluster instead of seed nodes.
 *
 * @param enabled the HTTP endpoint is started
 * @param hostname where it binds and what it advertises ("" = the node's cluster hostname)
 * @param port its port (0 = any free one)
 * @param method the bootstrap's discovery method, or "off"
 */
public record NodeManagement(
    boolean enabled,
    String hostname,
    int port,
    String method,
    String serviceName,
    int requiredContactPoints,
    List<String> contactPoints) {

  public static final String OFF = "off";

  /** The node's settings, checked: a bootstrap needs the endpoint on a fixed port. */
  public static NodeManagement of(Config node) {
    ConfigReader r = ConfigReader.of(node);
    String method = r.oneOf("r3.cluster.bootstrap.method", OFF, "kubernetes-api", "config");
    NodeManagement m =
        new NodeManagement(
            node.getBoolean("r3.cluster.management.enabled"),
            node.getString("r3.cluster.management.hostname"),
            r.portOrZero("r3.cluster.management.port"),
            method,
            r.nonEmpty("r3.cluster.bootstrap.service-name"),
            r.atLeast("r3.cluster.bootstrap.required-contact-points", 1),
            node.getStringList("r3.cluster.bootstrap.contact-points"));
    if (m.bootstraps() && !m.enabled) {
      throw new IllegalArgumentException(
          "r3.cluster.bootstrap.method = "
              + method
              + " needs r3.cluster.management.enabled = on (bootstrap talks to the other nodes'"
              + " management endpoints)");
    }
    if (m.bootstraps() && m.port == 0) {
      throw new IllegalArgumentException(
          "r3.cluster.bootstrap.method = "
              + method
              + " needs a fixed r3.cluster.management.port, the same on every node (it is the"
              + " contact point the nodes probe), got 0");
    }
    if ("config".equals(method)) {
      if (m.contactPoints.isEmpty()) {
        throw new IllegalArgumentException(
            "r3.cluster.bootstrap.method = config needs r3.cluster.bootstrap.contact-points"
                + " (the nodes' management addresses, \"host:port\")");
      }
      for (String p : m.contactPoints) {
        if (!p.matches("[^:\\s]+:\\d{1,5}")) {
          throw new IllegalArgumentException(
              "r3.cluster.bootstrap.contact-points: each must be host:port, got \"" + p + "\"");
        }
      }
    }
    return m;
  }

  /** The cluster is formed by Cluster Bootstrap, not by seed nodes. */
  public boolean bootstraps() {
    return !OFF.equals(method);
  }

  /** The pekko settings of these, for a node whose cluster hostname is {@code nodeHost}. */
  Config pekko(String nodeHost) {
    String host = hostname.isEmpty() ? nodeHost : hostname;
    Config c =
        ConfigFactory.empty()
            .withValue("pekko.management.http.hostname", ConfigValueFactory.fromAnyRef(host))
            .withValue("pekko.management.http.port", ConfigValueFactory.fromAnyRef(port));
    if (!bootstraps()) {
      return c;
    }
    String discovery = "pekko.management.cluster.bootstrap.contact-point-discovery.";
    c =
        c.withValue(discovery + "discovery-method", ConfigValueFactory.fromAnyRef(method))
            .withValue(discovery + "service-name", ConfigValueFactory.fromAnyRef(serviceName))
            .withValue(
                discovery + "required-contact-point-nr",
                ConfigValueFactory.fromAnyRef(requiredContactPoints));
    if ("kubernetes-api".equals(method)) {
      c = c.withValue(discovery + "port-name", ConfigValueFactory.fromAnyRef("management"));
    } else {
      List<Map<String, Object>> endpoints = new ArrayList<>();
      for (String p : contactPoints) {
        int colon = p.lastIndexOf(':');
        endpoints.add(
            Map.of(
                "host", p.substring(0, colon), "port", Integer.parseInt(p.substring(colon + 1))));
      }
      // The listed addresses are the contact points as they are: do not keep only those on this
      // node's own management port (the bootstrap's default, for discovery that lists every port).
      c =
          c.withValue(
                  "pekko.discovery.config.services." + serviceName + ".endpoints",
                  ConfigValueFactory.fromIterable(endpoints))
              .withValue(
                  "pekko.management.cluster.bootstrap.contact-point.filter-on-fallback-port",
                  ConfigValueFactory.fromAnyRef(false));
    }
    return c;
  }

  /**
   * Starts the endpoint (and the bootstrap) on {@code system} when enabled, printing its address
   * once bound; a port that cannot be bound stops the node's start with that reason.
   */
  void start(ActorSystem<?> system) {
    if (!enabled) {
      return;
    }
    PekkoManagement management = PekkoManagement.get(system.classicSystem());
    String bound;
    try {
      bound = management.start().toCompletableFuture().get().toString();
    } catch (Exception e) {
      system.terminate();
      Throwable cause = e.getCause() == null ? e : e.getCause();
      throw new IllegalStateException(
          "Pekko Management (r3.cluster.management) could not start: " + cause.getMessage(), cause);
    }
    System.err.println("management: " + bound + " (GET /ready, /alive, /cluster/members)");
    if (bootstraps()) {
      ClusterBootstrap.get(system.classicSystem()).start();
      System.err.println(
          "cluster bootstrap: discovery "
              + method
              + ", service "
              + serviceName
              + ", "
              + requiredContactPoints
              + " contact point(s) required before forming a new cluster");
    }
  }
}
