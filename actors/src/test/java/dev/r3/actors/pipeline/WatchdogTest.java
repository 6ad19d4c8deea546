package dev.r3.actors.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.r3.actors.config.R3Config;
import dev.r3.actors.testkit.Fixtures;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real {@link Watchdog} with probes as rollout workers. */
class WatchdogTest {
  static final ActorTestKit kit = ActorTestKit.create();

  @TempDir Path tmp;

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  R3Config config() {
    return Fixtures.config(
        tmp, "r3.watchdog.interval=100ms", "r3.watchdog.stall-timeout=1s", "r3.timeouts.ask=2s");
  }

  @Test
  void aWorkerBusyPastTheStallTimeout_isToldToRestart() {
    TestProbe<RolloutWorker.Command> w = kit.createTestProbe();
    R3Config c = config();
    kit.spawn(Watchdog.create(List.of(w.getRef()), c.watchdog(), c.timeouts()));
    RolloutWorker.Ping ping = w.expectMessageClass(RolloutWorker.Ping.class);
    ping.replyTo().tell(new RolloutWorker.Pong("w", 0, true, 1500, 3, 0));
    RolloutWorker.Restart r =
        w
            .fishForMessage(
                Duration.ofSeconds(30),
                m ->
                    m instanceof RolloutWorker.Restart
                        ? FishingOutcomes.complete()
                        : FishingOutcomes.continueAndIgnore())
            .stream()
            .filter(RolloutWorker.Restart.class::isInstance)
            .map(RolloutWorker.Restart.class::cast)
            .findFirst()
            .orElseThrow();
    assertThat(r.reason()).contains("stalled").contains("1500 ms");
  }

  @Test
  void aHealthyBusyWorker_isLeftAlone() {
    TestProbe<RolloutWorker.Command> w = kit.createTestProbe();
    R3Config c = config();
    kit.spawn(Watchdog.create(List.of(w.getRef()), c.watchdog(), c.timeouts()));
    for (int i = 0; i < 5; i++) {
      RolloutWorker.Ping ping = w.expectMessageClass(RolloutWorker.Ping.class);
      ping.replyTo().tell(new RolloutWorker.Pong("w", 0, true, 200, 3, 0));
    }
  }

  @Test
  void aWorkerThatMissesTwoPings_isToldToRestart() {
    TestProbe<RolloutWorker.Command> w = kit.createTestProbe();
    R3Config c = config();
    kit.spawn(Watchdog.create(List.of(w.getRef()), c.watchdog(), c.timeouts()));
    RolloutWorker.Restart r =
        w
            .fishForMessage(
                Duration.ofSeconds(30),
                m ->
                    m instanceof RolloutWorker.Restart
                        ? FishingOutcomes.complete()
                        : FishingOutcomes.continueAndIgnore())
            .stream()
            .filter(RolloutWorker.Restart.class::isInstance)
            .map(RolloutWorker.Restart.class::cast)
            .findFirst()
            .orElseThrow();
    assertThat(r.reason()).contains("no answer to 2 pings");
  }
}
