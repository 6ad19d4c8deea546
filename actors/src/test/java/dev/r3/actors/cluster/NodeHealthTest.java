package dev.r3.actors.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The health checks Pekko Management serves on a cluster node, over real HTTP on 127.0.0.1: a
 * rollout node that is an Up member is not ready until its stations are placed; a node whose
 * guardian does not answer is not alive. And the settings that start it are checked.
 */
class NodeHealthTest {
  private ActorSystem<NodeHealth.Ping> system;

  @AfterEach
  void stop() {
    if (system != null) {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().join();
    }
  }

  @Test
  void rolloutNode_isReadyOnlyWithItsStationsPlaced_andAliveOnlyWhileItsGuardianAnswers()
      throws Exception {
    int cluster = ClusterProcesses.freePort();
    int management = ClusterProcesses.freePort();
    Config base =
        ConfigFactory.load()
            .withValue("r3.cluster.management.port", ConfigValueFactory.fromAnyRef(management));
    AtomicBoolean answering = new AtomicBoolean(true);
    system =
        ActorSystem.create(
            Behaviors.setup(
                ctx -> {
                  NodeHealth.get(ctx.getSystem()).guardian(ctx.getSelf());
                  return Behaviors.receiveMessage(
                      ping -> {
                        if (answering.get()) {
                          ping.replyTo().tell(Done.getInstance());
                        }
                        return Behaviors.same();
                      });
                }),
            ClusterConfig.SYSTEM,
            ClusterConfig.nodeConfig(
                base,
                "127.0.0.1",
                cluster,
                ClusterConfig.ROLLOUT_ROLE,
                List.of(ClusterConfig.seed("127.0.0.1:" + cluster))));
    NodeManagement.of(base).start(system);
    String url = "http://127.0.0.1:" + management;
    ClusterProcesses.await(
        "the node Up",
        Duration.ofSeconds(30),
        () -> Cluster.get(system).selfMember().status() == MemberStatus.up());

    assertThat(ClusterBootstrapTest.status(url + "/alive")).isEqualTo(200);
    assertThat(ClusterBootstrapTest.status(url + "/ready")).isNotEqualTo(200);
    NodeHealth.get(system).stationsPlaced();
    assertThat(ClusterBootstrapTest.status(url + "/ready")).isEqualTo(200);

    answering.set(false);
    assertThat(ClusterBootstrapTest.status(url + "/alive")).isNotEqualTo(200);
    answering.set(true);
    assertThat(ClusterBootstrapTest.status(url + "/alive")).isEqualTo(200);
  }

  @Test
  void bootstrapSettings_areRefusedWithTheSettingNamed() {
    Config base = ConfigFactory.load();
    assertThatThrownBy(() -> NodeManagement.of(set(base, "r3.cluster.bootstrap.method", "dns")))
        .hasMessageContaining("r3.cluster.bootstrap.method");
    Config k8s = set(base, "r3.cluster.bootstrap.method", "kubernetes-api");
    assertThatThrownBy(() -> NodeManagement.of(k8s))
        .hasMessageContaining("fixed r3.cluster.management.port");
    Config k8sPort = set(k8s, "r3.cluster.management.port", 8558);
    assertThat(NodeManagement.of(k8sPort).bootstraps()).isTrue();
    assertThatThrownBy(
            () -> NodeManagement.of(set(k8sPort, "r3.cluster.management.enabled", false)))
        .hasMessageContaining("r3.cluster.management.enabled = on");
    Config config = set(k8sPort, "r3.cluster.bootstrap.method", "config");
    assertThatThrownBy(() -> NodeManagement.of(config))
        .hasMessageContaining("r3.cluster.bootstrap.contact-points");
    assertThatThrownBy(
            () ->
                NodeManagement.of(
                    set(config, "r3.cluster.bootstrap.contact-points", List.of("127.0.0.1"))))
        .hasMessageContaining("host:port, got \"127.0.0.1\"");
  }

  @Test
  void seedNodes_areDroppedUnderBootstrap_andKubernetesLooksUpTheManagementPort() {
    Config k8s =
        set(
            set(ConfigFactory.load(), "r3.cluster.bootstrap.method", "kubernetes-api"),
            "r3.cluster.management.port",
            8558);
    Config node =
        ClusterConfig.nodeConfig(
            k8s, "10.0.0.7", 25520, ClusterConfig.ROLLOUT_ROLE, List.of("pekko://r3@x:1"));
    assertThat(node.getStringList("pekko.cluster.seed-nodes")).isEmpty();
    String discovery = "pekko.management.cluster.bootstrap.contact-point-discovery.";
    assertThat(node.getString(discovery + "discovery-method")).isEqualTo("kubernetes-api");
    assertThat(node.getString(discovery + "port-name")).isEqualTo("management");
    assertThat(node.getString("pekko.management.http.hostname")).isEqualTo("10.0.0.7");
    assertThat(node.getInt("pekko.management.http.port")).isEqualTo(8558);
    assertThat(node.getString("pekko.discovery.kubernetes-api.pod-label-selector"))
        .isEqualTo("app=%s");
  }

  private static Config set(Config c, String key, Object value) {
    return c.withValue(key, ConfigValueFactory.fromAnyRef(value));
  }
}
