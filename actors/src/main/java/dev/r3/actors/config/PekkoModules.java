package dev.r3.actors.config;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.util.ManifestInfo;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Pekko's check that every Pekko module on the class path has the same version, with the one
 * exception this build needs: {@code pekko-discovery} (for Pekko Management's cluster bootstrap) is
 * 1.2.1 beside Pekko 1.7.0 because no newer one is served here (root pom.xml). Pekko's own check
 * ({@code pekko.fail-mixed-versions}) cannot except one module, so reference.conf turns it off and
 * every actor system R3 starts runs this one instead: an excepted module may be older than the core
 * (Pekko 1.x is binary backward compatible: code built for 1.2 runs on 1.7), never newer; every
 * other core module must be exactly the core's version.
 */
public final class PekkoModules {
  private PekkoModules() {}

  /** Modules that may be older than the core: pinned in the root pom.xml, which says why. */
  static final List<String> OLDER_ALLOWED = List.of("pekko-discovery");

  /**
   * Pekko's core modules: the list Pekko 1.7.0's ActorSystemImpl checks. Other {@code pekko-*} jars
   * (pekko-http, pekko-management and their modules) are released on their own versions.
   */
  static final List<String> CORE =
      List.of(
          "pekko-actor",
          "pekko-actor-testkit-typed",
          "pekko-actor-typed",
          "pekko-cluster",
          "pekko-cluster-metrics",
          "pekko-cluster-sharding",
          "pekko-cluster-sharding-typed",
          "pekko-cluster-tools",
          "pekko-cluster-typed",
          "pekko-coordination",
          "pekko-discovery",
          "pekko-distributed-data",
          "pekko-testkit",
          "pekko-multi-node-testkit",
          "pekko-osgi",
          "pekko-persistence",
          "pekko-persistence-query",
          "pekko-persistence-shared",
          "pekko-persistence-testkit",
          "pekko-persistence-typed",
          "pekko-pki",
          "pekko-protobuf",
          "pekko-protobuf-v3",
          "pekko-remote",
          "pekko-serialization-jackson",
          "pekko-slf4j",
          "pekko-stream",
          "pekko-stream-testkit");

  /**
   * What is wrong with these module versions (module name to version, as the jars' manifests say),
   * or empty.
   *
   * @param core the version of Pekko running ({@code org.apache.pekko.Version.current()})
   */
  public static Optional<String> mismatch(Map<String, String> versions, String core) {
    ManifestInfo.Version expected = new ManifestInfo.Version(core);
    Map<String, String> wrong = new TreeMap<>();
    for (String module : CORE) {
      String v = versions.get(module);
      if (v == null) {
        continue;
      }
      int c = new ManifestInfo.Version(v).compareTo(expected);
      boolean ok = c == 0 || (c < 0 && OLDER_ALLOWED.contains(module));
      if (!ok) {
        wrong.put(module, v);
      }
    }
    if (wrong.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(
        "Pekko modules at another version than Pekko "
            + core
            + ": "
            + wrong
            + " (only "
            + OLDER_ALLOWED
            + " may be older; align them in the root pom.xml)");
  }

  /** Stops {@code system} and throws when its class path mixes Pekko versions (see above). */
  public static void require(ActorSystem<?> system) {
    Map<String, String> versions = new TreeMap<>();
    CollectionConverters.asJava(ManifestInfo.get(system.classicSystem()).versions())
        .forEach((k, v) -> versions.put(k, v.toString()));
    Optional<String> wrong = mismatch(versions, org.apache.pekko.Version.current());
    if (wrong.isPresent()) {
      system.terminate();
      throw new IllegalStateException(wrong.get());
    }
  }
}
