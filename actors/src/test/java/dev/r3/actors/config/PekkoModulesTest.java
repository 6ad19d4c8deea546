package dev.r3.actors.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.Test;

/**
 * Pekko's mixed-version check, as R3 runs it: only pekko-discovery may be older than the core;
 * anything else mixed is refused, naming the modules. And this build's own class path passes.
 */
class PekkoModulesTest {

  @Test
  void onlyPekkoDiscovery_mayBeOlderThanTheCore() {
    Map<String, String> ok =
        Map.of(
            "pekko-actor", "1.7.0",
            "pekko-cluster", "1.7.0",
            "pekko-discovery", "1.2.1",
            "pekko-http", "1.3.0",
            "pekko-management", "1.1.1");
    assertThat(PekkoModules.mismatch(ok, "1.7.0")).isEmpty();
    assertThat(
            PekkoModules.mismatch(Map.of("pekko-actor", "1.7.0", "pekko-remote", "1.6.0"), "1.7.0"))
        .get()
        .asString()
        .contains("{pekko-remote=1.6.0}");
    assertThat(PekkoModules.mismatch(Map.of("pekko-discovery", "1.8.0"), "1.7.0"))
        .get()
        .asString()
        .contains("pekko-discovery=1.8.0");
  }

  @Test
  void thisBuildsClassPath_passes_withPekkoDiscoveryOlderThanTheCore() {
    ActorTestKit kit = ActorTestKit.create();
    try {
      PekkoModules.require(kit.system());
      var versions =
          org.apache.pekko.util.ManifestInfo.get(kit.system().classicSystem()).versions();
      assertThat(versions.get("pekko-discovery").get().toString())
          .isNotEqualTo(org.apache.pekko.Version.current());
    } finally {
      kit.shutdownTestKit();
    }
  }
}
