package dev.r3.actors.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code r3.cluster.tls}: Artery's tls-tcp with stores made by keytool. Three real actor systems in
 * this JVM, talking over TLS on 127.0.0.1 with the node config the commands build ({@link
 * ClusterConfig#nodeConfig}): a node with the cluster's certificate joins, a node with another one
 * does not.
 */
class ClusterTlsTest {
  private static final UnaryOperator<String> ENV =
      k -> ClusterTls.PASSWORD_ENV.equals(k) ? TlsStores.PASSWORD : null;

  @TempDir Path tmp;
  private final List<ActorSystem<?>> systems = new ArrayList<>();

  @AfterEach
  void stop() {
    systems.forEach(ActorSystem::terminate);
    for (ActorSystem<?> s : systems) {
      s.getWhenTerminated()
          .toCompletableFuture()
          .orTimeout(30, java.util.concurrent.TimeUnit.SECONDS)
          .join();
    }
  }

  @Test
  void nodeWithTheClustersCertificate_joins_andOneWithAnotherCertificate_cannot() throws Exception {
    TlsStores stores = TlsStores.shared();
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    List<String> seeds = List.of(ClusterConfig.seed("127.0.0.1:" + port));
    ActorSystem<?> learner =
        start(local(stores.nodeKeys(), stores.trust()), port, ClusterConfig.LEARNER_ROLE, seeds);
    // The rogue trusts the cluster's certificate and starts first: only the cluster's refusal of
    // its certificate keeps it out.
    ActorSystem<?> rogue =
        start(local(stores.rogue(), stores.rogue()), 0, ClusterConfig.ROLLOUT_ROLE, seeds);
    ActorSystem<?> good =
        start(local(stores.nodeKeys(), stores.trust()), 0, ClusterConfig.ROLLOUT_ROLE, seeds);

    Address goodAt = Cluster.get(good).selfMember().address();
    Address rogueAt = Cluster.get(rogue).selfMember().address();
    await("the node with the right certificate up", () -> isUp(learner, goodAt));
    // The rogue has tried as long as the good node needed, and then some.
    Thread.sleep(5000);
    assertThat(members(learner)).doesNotContain(rogueAt).contains(goodAt);
    assertThat(Cluster.get(rogue).selfMember().status()).isNotEqualTo(MemberStatus.up());
    assertThat(ClusterTls.on(learner.settings().config())).isTrue();
  }

  @Test
  void tlsOff_changesNothing() {
    Config pekko =
        ClusterConfig.nodeConfig(
            ConfigFactory.load(), "127.0.0.1", 0, "rollout", List.of(), k -> null);
    assertThat(ClusterTls.on(pekko)).isFalse();
    assertThat(pekko.getString("pekko.remote.artery.transport")).isEqualTo("tcp");
  }

  @Test
  void badStores_areRefusedNamingTheKeyAndTheFile() throws Exception {
    TlsStores stores = TlsStores.shared();
    assertThatThrownBy(
            () -> ClusterTls.overlay(local(stores.nodeKeys(), stores.trust()), k -> null))
        .hasMessageContaining("R3_TLS_PASSWORD");
    Path missing = tmp.resolve("none.p12");
    assertThatThrownBy(() -> ClusterTls.overlay(local(missing, stores.trust()), ENV))
        .hasMessageContaining("r3.cluster.tls.key-store")
        .hasMessageContaining(missing.toString());
    assertThatThrownBy(
            () -> ClusterTls.overlay(local(stores.nodeKeys(), stores.trust()), k -> "wrong"))
        .hasMessageContaining("r3.cluster.tls.key-store")
        .hasMessageContaining("does not open as PKCS12");
    assertThatThrownBy(() -> ClusterTls.overlay(local(stores.trust(), stores.trust()), ENV))
        .hasMessageContaining("holds no private key");
    Path garbage = Files.writeString(tmp.resolve("garbage.p12"), "not a key store");
    assertThatThrownBy(() -> ClusterTls.overlay(local(stores.nodeKeys(), garbage), ENV))
        .hasMessageContaining("r3.cluster.tls.trust-store")
        .hasMessageContaining(garbage.toString());
    assertThatThrownBy(
            () ->
                ClusterTls.overlay(
                    ConfigFactory.parseString("r3.cluster.tls.enabled = on")
                        .withFallback(ConfigFactory.load()),
                    ENV))
        .hasMessageContaining("r3.cluster.tls.key-store must name a PKCS12 file");
  }

  private static Config local(Path keyStore, Path trustStore) {
    return ConfigFactory.parseString(
            "r3.cluster.tls { enabled = on, key-store = \""
                + keyStore
                + "\", trust-store = \""
                + trustStore
                + "\" }")
        .withFallback(ConfigFactory.load())
        .resolve();
  }

  private ActorSystem<?> start(Config local, int port, String role, List<String> seeds) {
    Config pekko = ClusterConfig.nodeConfig(local, "127.0.0.1", port, role, seeds, ENV);
    ActorSystem<?> s = ActorSystem.create(Behaviors.empty(), ClusterConfig.SYSTEM, pekko);
    systems.add(s);
    return s;
  }

  private static List<Address> members(ActorSystem<?> at) {
    List<Address> out = new ArrayList<>();
    for (Member m : Cluster.get(at).state().getMembers()) {
      out.add(m.address());
    }
    return out;
  }

  private static boolean isUp(ActorSystem<?> at, Address who) {
    for (Member m : Cluster.get(at).state().getMembers()) {
      if (m.address().equals(who) && m.status() == MemberStatus.up()) {
        return true;
      }
    }
    return false;
  }

  private static void await(String what, java.util.function.BooleanSupplier ok)
      throws InterruptedException {
    long end = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (!ok.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("timed out after 90 s waiting for " + what);
      }
      Thread.sleep(200);
    }
  }
}
