package dev.r3.actors.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.typesafe.config.ConfigFactory;
import dev.r3.actors.monitor.Monitor;
import dev.r3.actors.monitor.MonitorSettings;
import dev.r3.actors.monitor.Supervised;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A rollout node's supervised actors on the learner's monitor: two actor systems in this JVM
 * (learner and rollout roles) joined over Artery TCP on 127.0.0.1, the reports in Kryo frames. An
 * actor on the rollout node that fails and is restarted shows on the learner's monitor with its
 * node, a failure and a restart; when the node is lost it shows stopped, lost with the node.
 */
class RemoteActorsTest {
  private ActorSystem<?> learner;
  private ActorSystem<?> rollout;

  @AfterEach
  void stop() {
    for (ActorSystem<?> s : new ActorSystem<?>[] {rollout, learner}) {
      if (s != null) {
        s.terminate();
        s.getWhenTerminated().toCompletableFuture().orTimeout(30, TimeUnit.SECONDS).join();
      }
    }
  }

  /** Fails on "boom"; counts everything else. */
  private static Behavior<String> fragile() {
    return Behaviors.receive(String.class)
        .onMessageEquals(
            "boom",
            () -> {
              throw new IllegalStateException("injected by the test");
            })
        .onAnyMessage(m -> Behaviors.same())
        .build();
  }

  @Test
  void rolloutNodeActor_failingAndRestarted_showsOnTheLearnersMonitor_andStopsWithItsNode()
      throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    List<String> seeds = List.of(ClusterConfig.seed("127.0.0.1:" + port));
    var base = ConfigFactory.load();
    learner =
        ActorSystem.create(
            Behaviors.empty(),
            ClusterConfig.SYSTEM,
            ClusterConfig.nodeConfig(base, "127.0.0.1", port, ClusterConfig.LEARNER_ROLE, seeds));
    rollout =
        ActorSystem.create(
            Behaviors.empty(),
            ClusterConfig.SYSTEM,
            ClusterConfig.nodeConfig(base, "127.0.0.1", 0, ClusterConfig.ROLLOUT_ROLE, seeds));

    ActorRef<Monitor.Command> monitor =
        learner.systemActorOf(
            Monitor.create(MonitorSettings.OFF, new CompletableFuture<>()),
            "monitor",
            org.apache.pekko.actor.typed.Props.empty());
    ActorRef<RemoteActors.Command> inbox =
        learner.systemActorOf(
            RemoteActors.create(), "remote-actors", org.apache.pekko.actor.typed.Props.empty());
    inbox.tell(new RemoteActors.MonitorUp(monitor));

    // The rollout node holds the inbox as it arrives in RunSpec: a remote ref.
    ActorRef<RemoteActors.Command> remoteInbox =
        ActorRefResolver.get(rollout)
            .resolveActorRef(ActorRefResolver.get(learner).toSerializationFormat(inbox));
    String node = StationAllocation.hostPort(Cluster.get(rollout).selfMember().address());
    ActorRef<NodeReporter.Command> reporter =
        rollout.systemActorOf(
            NodeReporter.create(remoteInbox, node),
            "reporter",
            org.apache.pekko.actor.typed.Props.empty());
    ActorRef<Monitor.Command> local =
        rollout.systemActorOf(
            Behaviors.receive(Monitor.Command.class)
                .onAnyMessage(
                    m -> {
                      reporter.tell(new NodeReporter.Local(m));
                      return Behaviors.same();
                    })
                .build(),
            "to-reporter",
            org.apache.pekko.actor.typed.Props.empty());
    ActorRef<String> worker =
        rollout.systemActorOf(
            Behaviors.supervise(new Supervised(local).report("rollout", fragile()))
                .onFailure(SupervisorStrategy.restart()),
            "worker",
            org.apache.pekko.actor.typed.Props.empty());

    await(() -> Cluster.get(learner).state().members().size() == 2);
    worker.tell("work");
    worker.tell("boom");
    worker.tell("work");
    JsonObject seen =
        await(
            () -> {
              JsonObject a = actor(monitor, "/system/worker");
              return a != null && a.get("restarts").getAsLong() == 1 ? a : null;
            });
    assertThat(seen.get("node").getAsString())
        .isEqualTo(Cluster.get(rollout).selfMember().address().toString());
    assertThat(seen.get("role").getAsString()).isEqualTo("rollout");
    assertThat(seen.get("failures").getAsLong()).isEqualTo(1);
    assertThat(seen.getAsJsonObject("last_failure").get("message").getAsString())
        .contains("injected by the test");
    assertThat(seen.get("state").getAsString()).isEqualTo("running");
    // The counters follow within a report interval: 3 messages handled (one of them failed).
    await(() -> actor(monitor, "/system/worker").get("messages").getAsLong() >= 3 ? true : null);

    inbox.tell(new RemoteActors.NodeGone(node));
    JsonObject gone =
        await(
            () -> {
              JsonObject a = actor(monitor, "/system/worker");
              return "stopped".equals(a.get("state").getAsString()) ? a : null;
            });
    assertThat(gone.get("stopped_because").getAsString()).contains("node " + node + " lost");
  }

  private JsonObject actor(ActorRef<Monitor.Command> monitor, String path) {
    String json =
        AskPattern.<Monitor.Command, String>ask(
                monitor, Monitor.GetState::new, Duration.ofSeconds(10), learner.scheduler())
            .toCompletableFuture()
            .join();
    for (JsonElement e : JsonParser.parseString(json).getAsJsonObject().getAsJsonArray("actors")) {
      if (e.getAsJsonObject().get("path").getAsString().equals(path)) {
        return e.getAsJsonObject();
      }
    }
    return null;
  }

  private static <T> T await(java.util.function.Supplier<T> probe) throws InterruptedException {
    long end = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (true) {
      T v = probe.get();
      if (v != null && !Boolean.FALSE.equals(v)) {
        return v;
      }
      if (System.nanoTime() > end) {
        throw new AssertionError("timed out after 90 s");
      }
      Thread.sleep(200);
    }
  }
}
