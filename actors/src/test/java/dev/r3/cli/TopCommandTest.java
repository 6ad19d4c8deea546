package dev.r3.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.r3.actors.monitor.Monitor;
import dev.r3.actors.monitor.MonitorSettings;
import dev.r3.actors.monitor.Supervised;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * {@code ./r3 top} as a person runs it, against a real monitor (the {@link Monitor} actor and its
 * Pekko HTTP server on a free loopback port) fed by a supervised actor that fails and restarts.
 */
class TopCommandTest {
  static final ActorTestKit kit = ActorTestKit.create();

  @org.junit.jupiter.api.BeforeAll
  static void kamon() {
    // As ./r3 train does (Metrics.start); another test of this JVM may have stopped Kamon.
    kamon.Kamon.initWithoutAttaching(com.typesafe.config.ConfigFactory.load());
  }

  @AfterAll
  static void down() {
    kit.shutdownTestKit();
  }

  static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  record Started(ActorRef<Monitor.Command> monitor, String url) {}

  static Started monitor(String token) throws Exception {
    CompletableFuture<String> url = new CompletableFuture<>();
    ActorRef<Monitor.Command> m =
        kit.spawn(Monitor.create(new MonitorSettings(freePort(), "127.0.0.1", token), url));
    return new Started(m, url.get(20, TimeUnit.SECONDS));
  }

  static Map<String, Object> row(long step) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("step", step);
    r.put("reward/mean", 0.1 * step);
    r.put("losses/loss", 1.0 / step);
    r.put("mismatch/kl", 2e-4);
    r.put("routing/disagreement", 0.02);
    r.put("routing/disagreement/layer_0", 0.01);
    r.put("routing/disagreement/layer_1", 0.03);
    r.put("ledger/produced", 32L * step);
    r.put("ledger/trained", 24L * step);
    r.put("ledger/dropped", 8L * step);
    r.put("ledger/dropped/stale", 8L * step);
    r.put("ledger/buffered", 0L);
    return r;
  }

  /** A run of 5 steps with a rollout worker that failed once (restarted) and a stopped learner. */
  static Started runWithHistory(String token) throws Exception {
    Started s = monitor(token);
    s.monitor().tell(new Monitor.RunStarted("top-test", "/tmp/run", 100, List.of()));
    Supervised sup = new Supervised(s.monitor());
    ActorRef<String> worker =
        kit.spawn(
            Behaviors.supervise(
                    sup.report(
                        "rollout",
                        Behaviors.receive(String.class)
                            .onMessageEquals(
                                "boom",
                                () -> {
                                  throw new IllegalStateException("worker hit a wall");
                                })
                            .onAnyMessage(m -> Behaviors.same())
                            .build()))
                .onFailure(SupervisorStrategy.restart()),
            "rollout-" + freePort());
    worker.tell("boom");
    ActorRef<String> learner =
        kit.spawn(
            sup.report(
                "learner",
                Behaviors.receive(String.class)
                    .onMessageEquals("stop", Behaviors::stopped)
                    .build()),
            "learner-" + freePort());
    learner.tell("stop");
    for (long i = 1; i <= 5; i++) {
      s.monitor().tell(new Monitor.StepLogged(row(i)));
    }
    Map<String, Object> eval = new LinkedHashMap<>();
    eval.put("step", 4L);
    eval.put("version", 4L);
    eval.put("eval/accuracy", 0.625);
    s.monitor().tell(new Monitor.EvalLogged(eval));
    // wait until the monitor has seen the restart
    TestProbe<String> p = kit.createTestProbe();
    p.awaitAssert(
        Duration.ofSeconds(10),
        () -> {
          s.monitor().tell(new Monitor.GetState(p.ref()));
          assertThat(p.receiveMessage()).contains("worker hit a wall").contains("\"stopped\"");
          return null;
        });
    return s;
  }

  @Test
  void top_drawsTreeRestartsLedgerLastStepAndCurves_ofARealMonitor() throws Exception {
    Started s = runWithHistory("");
    CliRun r = CliRun.of("top", "--url", s.url(), "--once", "--width", "200");
    assertThat(r.code()).as(r.err()).isZero();
    String out = r.out();
    assertThat(out).contains("R3 top-test").contains("running").contains("step 5/100");
    // the tree: the worker with its restart and failure, the learner stopped with why
    String worker =
        out.lines()
            .filter(l -> l.contains("rollout-") && !l.contains("http"))
            .findFirst()
            .orElseThrow();
    assertThat(worker)
        .containsPattern("rollout\\s+running\\s+1\\s+0\\s")
        .contains("worker hit a wall");
    String learner = out.lines().filter(l -> l.contains("learner-")).findFirst().orElseThrow();
    assertThat(learner).contains("stopped");
    assertThat(out).contains("member pekko://TopCommandTest");
    assertThat(out).contains("ledger  produced 160  trained 120  dropped 40").contains("stale 40");
    assertThat(out).contains("step 5:").contains("reward/mean 0.5").contains("eval/accuracy 0.625");
    assertThat(out).contains("L0 0.01").contains("L1 0.03");
    String reward = out.lines().filter(l -> l.startsWith("reward/mean ")).findFirst().orElseThrow();
    assertThat(reward).contains("▁▃▅▆█"); // 0.1 .. 0.5 rising, one block per step
    java.nio.file.Files.writeString(java.nio.file.Path.of("target", "top-frame.txt"), out);
  }

  @Test
  void top_refreshes_andEndsWhenTheRunEnds() throws Exception {
    Started s = runWithHistory("");
    CompletableFuture<CliRun> top =
        CompletableFuture.supplyAsync(
            () -> CliRun.of("top", "--url", s.url(), "--every", "0.2", "--width", "200"));
    Thread.sleep(1500);
    s.monitor().tell(new Monitor.StepLogged(row(6)));
    Thread.sleep(1000);
    s.monitor().tell(new Monitor.RunEnded("failed", "learner ran out of patience"));
    CliRun r = top.get(30, TimeUnit.SECONDS);
    assertThat(r.code()).as("a failed run ends top with 1").isEqualTo(1);
    assertThat(r.out()).contains("step 5/100").contains("step 6/100");
    assertThat(r.out())
        .contains("failed: learner ran out of patience")
        .contains("the run is failed.");
  }

  @Test
  void top_withNothingListening_failsSayingSo() throws Exception {
    int port = freePort();
    CliRun r = CliRun.of("top", "--port", Integer.toString(port), "--once");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err())
        .contains("nothing is listening at http://127.0.0.1:" + port + "/")
        .contains("--url");
  }

  @Test
  void top_ofAMonitorWithAToken_needsIt() throws Exception {
    Started s = runWithHistory("s3cret");
    String url = s.url().replace("?token=TOKEN", "");
    CliRun without = CliRun.of("top", "--url", url, "--once");
    assertThat(without.code()).isEqualTo(2);
    assertThat(without.err()).contains("needs its token").contains("--token");
    CliRun wrong = CliRun.of("top", "--url", url, "--once", "--token", "nope");
    assertThat(wrong.err()).contains("refused the token");
    CliRun with = CliRun.of("top", "--url", url, "--once", "--token", "s3cret");
    assertThat(with.code()).as(with.err()).isZero();
    assertThat(with.out()).contains("R3 top-test");
  }
}
