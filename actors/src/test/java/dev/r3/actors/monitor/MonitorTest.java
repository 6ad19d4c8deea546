package dev.r3.actors.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class MonitorTest {
  static final ActorTestKit kit = ActorTestKit.create();

  @AfterAll
  static void down() {
    kit.shutdownTestKit();
  }

  /** Throws on "boom", stops on "stop", else answers nothing. */
  static Behavior<String> fragile() {
    return Behaviors.receive(String.class)
        .onMessageEquals(
            "boom",
            () -> {
              throw new IllegalStateException("boom requested");
            })
        .onMessageEquals("stop", Behaviors::stopped)
        .onAnyMessage(m -> Behaviors.same())
        .build();
  }

  static JsonObject state(ActorRef<Monitor.Command> monitor) {
    TestProbe<String> p = kit.createTestProbe();
    monitor.tell(new Monitor.GetState(p.ref()));
    return JsonParser.parseString(p.receiveMessage()).getAsJsonObject();
  }

  static JsonObject actor(JsonObject state, String name) {
    for (var a : state.getAsJsonArray("actors")) {
      if (a.getAsJsonObject().get("name").getAsString().equals(name)) {
        return a.getAsJsonObject();
      }
    }
    return null;
  }

  static ActorRef<Monitor.Command> monitor() {
    return kit.spawn(Monitor.create(MonitorSettings.OFF, new CompletableFuture<>()));
  }

  @Test
  void restartedActor_countsRestartAndKeepsLastFailure() {
    ActorRef<Monitor.Command> monitor = monitor();
    Supervised sup = new Supervised(monitor);
    ActorRef<String> a =
        kit.spawn(
            Behaviors.supervise(sup.report("rollout", fragile()))
                .onFailure(SupervisorStrategy.restart()),
            "worker-restarts");
    a.tell("hello");
    a.tell("boom");
    a.tell("boom");
    a.tell("hello");
    TestProbe<Object> probe = kit.createTestProbe();
    probe.awaitAssert(
        Duration.ofSeconds(30),
        () -> {
          JsonObject w = actor(state(monitor), "worker-restarts");
          assertThat(w.get("restarts").getAsLong()).isEqualTo(2);
          assertThat(w.get("failures").getAsLong()).isEqualTo(2);
          assertThat(w.get("state").getAsString()).isEqualTo("running");
          assertThat(w.get("role").getAsString()).isEqualTo("rollout");
          assertThat(w.getAsJsonObject("last_failure").get("message").getAsString())
              .contains("boom requested");
          assertThat(w.get("messages").getAsLong()).isEqualTo(4);
          assertThat(w.get("last_message_at").isJsonNull()).isFalse();
          return null;
        });
  }

  @Test
  void busyActor_showsTheMessagesWaitingInItsMailbox_thenZero() throws Exception {
    ActorRef<Monitor.Command> monitor = monitor();
    Supervised sup = new Supervised(monitor);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    ActorRef<String> a =
        kit.spawn(
            sup.report(
                "learner",
                Behaviors.receive(String.class)
                    .onMessageEquals(
                        "block",
                        () -> {
                          release.await();
                          return Behaviors.same();
                        })
                    .onAnyMessage(m -> Behaviors.same())
                    .build()),
            "mailbox-depth");
    a.tell("block");
    for (int i = 0; i < 7; i++) {
      a.tell("queued-" + i);
    }
    TestProbe<Object> probe = kit.createTestProbe();
    probe.awaitAssert(
        Duration.ofSeconds(10),
        () -> {
          JsonObject w = actor(state(monitor), "mailbox-depth");
          assertThat(w.get("mailbox").getAsInt()).isEqualTo(7);
          assertThat(w.get("busy").getAsInt()).isEqualTo(1);
          return null;
        });
    release.countDown();
    probe.awaitAssert(
        Duration.ofSeconds(10),
        () -> {
          JsonObject w = actor(state(monitor), "mailbox-depth");
          assertThat(w.get("mailbox").getAsInt()).isZero();
          assertThat(w.get("messages").getAsLong()).isEqualTo(8);
          return null;
        });
  }

  @Test
  void actorThatFailsWithoutRestart_staysListedStoppedWithItsFailure() {
    ActorRef<Monitor.Command> monitor = monitor();
    Supervised sup = new Supervised(monitor);
    ActorRef<String> a = kit.spawn(sup.report("learner", fragile()), "learner-fails");
    ActorRef<String> b = kit.spawn(sup.report("buffer", fragile()), "buffer-stops");
    a.tell("boom");
    b.tell("stop");
    TestProbe<Object> probe = kit.createTestProbe();
    probe.awaitAssert(
        Duration.ofSeconds(30),
        () -> {
          JsonObject s = state(monitor);
          JsonObject l = actor(s, "learner-fails");
          assertThat(l.get("state").getAsString()).isEqualTo("stopped");
          assertThat(l.get("stopped_because").getAsString())
              .startsWith("failed: ")
              .contains("boom requested");
          assertThat(l.get("restarts").getAsLong()).isZero();
          JsonObject buf = actor(s, "buffer-stops");
          assertThat(buf.get("state").getAsString()).isEqualTo("stopped");
          assertThat(buf.get("stopped_because").getAsString()).doesNotContain("failed");
          return null;
        });
  }

  @Test
  void restartWithBackoff_showsRestartingUntilTheNewIncarnationStarts() {
    ActorRef<Monitor.Command> monitor = monitor();
    Supervised sup = new Supervised(monitor);
    ActorRef<String> a =
        kit.spawn(
            Behaviors.supervise(sup.report("environment", fragile()))
                .onFailure(
                    SupervisorStrategy.restartWithBackoff(
                        Duration.ofSeconds(8), Duration.ofSeconds(8), 0)),
            "env-backoff");
    a.tell("boom");
    TestProbe<Object> probe = kit.createTestProbe();
    probe.awaitAssert(
        Duration.ofSeconds(6), // within the 8 s backoff
        () -> {
          assertThat(actor(state(monitor), "env-backoff").get("state").getAsString())
              .isEqualTo("restarting");
          return null;
        });
    probe.awaitAssert(
        Duration.ofSeconds(30),
        () -> {
          JsonObject e = actor(state(monitor), "env-backoff");
          assertThat(e.get("state").getAsString()).isEqualTo("running");
          assertThat(e.get("restarts").getAsLong()).isEqualTo(1);
          return null;
        });
  }

  @Test
  void metricsSince_returnsTheRowsAfterTheStep_andStateCarriesRunLedgerAndCluster() {
    ActorRef<Monitor.Command> monitor = monitor();
    monitor.tell(
        new Monitor.RunStarted("exp", "/tmp/x", 10, List.<String[]>of(new String[] {"r3.a", "1"})));
    for (int s = 1; s <= 5; s++) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("step", (long) s);
      row.put("reward/mean", 0.1 * s);
      row.put("ledger/produced", 16L * s);
      row.put("ledger/trained", 8L * s);
      row.put("ledger/dropped", 8L * s);
      row.put("ledger/dropped/stale", 8L * s);
      monitor.tell(new Monitor.StepLogged(row));
    }
    TestProbe<String> p = kit.createTestProbe();
    monitor.tell(new Monitor.GetMetrics(3, 100, p.ref()));
    JsonObject m = JsonParser.parseString(p.receiveMessage()).getAsJsonObject();
    assertThat(m.getAsJsonArray("rows")).hasSize(2);
    assertThat(m.getAsJsonArray("rows").get(0).getAsJsonObject().get("step").getAsLong())
        .isEqualTo(4);
    assertThat(m.get("last_step").getAsLong()).isEqualTo(5);
    monitor.tell(new Monitor.GetMetrics(0, 2, p.ref()));
    JsonObject paged = JsonParser.parseString(p.receiveMessage()).getAsJsonObject();
    assertThat(paged.getAsJsonArray("rows")).hasSize(2);
    assertThat(paged.get("more").getAsBoolean()).isTrue();

    JsonObject s = state(monitor);
    assertThat(s.getAsJsonObject("run").get("status").getAsString()).isEqualTo("running");
    assertThat(s.getAsJsonObject("run").get("step").getAsLong()).isEqualTo(5);
    JsonObject ledger = s.getAsJsonObject("ledger");
    assertThat(ledger.get("produced").getAsLong()).isEqualTo(80);
    assertThat(ledger.getAsJsonObject("dropped_by_reason").get("stale").getAsLong()).isEqualTo(40);
    assertThat(s.getAsJsonObject("cluster").getAsJsonArray("members")).hasSize(1);
    monitor.tell(new Monitor.RunEnded("failed", "learner stopped"));
    JsonObject after = state(monitor);
    assertThat(after.getAsJsonObject("run").get("failure").getAsString())
        .isEqualTo("learner stopped");
  }
}
