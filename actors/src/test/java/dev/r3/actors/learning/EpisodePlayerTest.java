package dev.r3.actors.learning;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.r3.actors.ports.Generator;
import dev.r3.actors.testkit.BigramPolicy;
import dev.r3.actors.testkit.EchoTask;
import dev.r3.actors.testkit.RelayTask;
import dev.r3.env.Split;
import dev.r3.model.RoutingRecord;
import dev.r3.model.SamplingParams;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Whole multi-turn episodes on the bigram stand-in (whose routing is a function of the token). */
class EpisodePlayerTest {
  private static final EchoTask.DigitTokenizer TOK = new EchoTask.DigitTokenizer();
  private static final SamplingParams PARAMS = new SamplingParams(1f, 1f, 2, EchoTask.EOS, 7);

  private static List<EpisodePlayer.Start> starts(int n, long seed) {
    List<EpisodePlayer.Start> out = new ArrayList<>();
    for (int j = 0; j < n; j++) {
      out.add(
          new EpisodePlayer.Start(
              "e" + j, seed, Split.TRAIN, TOK.encodePrompt(Long.toString(seed % 10)), j));
    }
    return out;
  }

  private static List<EpisodePlayer.Played> play(RelayTask task, EpisodePlayer.Budgets b, int n) {
    try (Generator g = BigramPolicy.generators().open(BigramPolicy.initial())) {
      return new EpisodePlayer(task, TOK, b).play(g, PARAMS, starts(n, 3));
    }
  }

  @Test
  void threeTurnEpisode_masksObservations_andItsRoutingCoversEveryPositionInOrder() {
    List<EpisodePlayer.Played> played =
        play(
            new RelayTask(),
            new EpisodePlayer.Budgets(Duration.ofMillis(50), Duration.ofSeconds(10)),
            4);
    for (EpisodePlayer.Played p : played) {
      assertThat(p.turns()).isEqualTo(RelayTask.TURNS);
      assertThat(p.envFailure()).isNull();
      int t = p.tokens().length;
      assertThat(p.lossMask()).hasSize(t);
      assertThat(p.logProbs()).hasSize(t - p.promptLength());
      // the observations are the digits 4 and 5 (tokens 7 and 8), mask 0, log-prob 0
      List<Integer> observed = new ArrayList<>();
      for (int i = p.promptLength(); i < t; i++) {
        float lp = p.logProbs()[i - p.promptLength()];
        if (p.lossMask()[i] == 0) {
          observed.add(p.tokens()[i]);
          assertThat(lp).isZero();
        } else {
          assertThat(lp).isNegative();
        }
      }
      assertThat(observed).containsExactly(7, 8);
      for (int i = 0; i < p.promptLength(); i++) {
        assertThat(p.lossMask()[i]).isZero();
      }
      // Position by position, the record holds the routing of the token fed there (the stand-in
      // routes token x to experts {x, x+1} mod 4): at the prompt's last position, at each
      // observation and at each turn's last token, no shift.
      RoutingRecord r = p.routing();
      assertThat(r.positions()).isEqualTo(t - 1);
      for (int pos = 0; pos < t - 1; pos++) {
        int x = p.tokens()[pos];
        assertThat(r.experts(pos, 0))
            .as("position %d (token %d, mask %d)", pos, x, p.lossMask()[pos])
            .containsExactly(x % BigramPolicy.EXPERTS, (x + 1) % BigramPolicy.EXPERTS);
      }
    }
    // samples of one group draw from their own streams
    assertThat(played.stream().map(p -> List.of(p.tokens())).distinct().count()).isGreaterThan(1);
  }

  @Test
  void slowTool_parksItsEpisode_whileTheOthersPlayToTheirEnd() {
    CountDownLatch othersDone = new CountDownLatch(3);
    RelayTask task =
        new RelayTask(
            (episode, turn) -> {
              if (episode == 0 && turn == 1) {
                // Answers only once every other episode has finished: a batch that waited for
                // this tool would never get there (and time out after the episode budget).
                assertThat(othersDone.await(20, TimeUnit.SECONDS)).isTrue();
              } else if (episode > 0 && turn == RelayTask.TURNS) {
                othersDone.countDown();
              }
            });
    long t0 = System.nanoTime();
    List<EpisodePlayer.Played> played =
        play(task, new EpisodePlayer.Budgets(Duration.ofMillis(20), Duration.ofSeconds(30)), 4);
    assertThat(othersDone.getCount()).isZero();
    for (EpisodePlayer.Played p : played) {
      assertThat(p.envFailure()).isNull();
      assertThat(p.turns()).isEqualTo(RelayTask.TURNS);
    }
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(20));
  }

  @Test
  void episodeOverItsEnvironmentBudget_failsAsEnvTimeout_andTheOthersFinish() {
    RelayTask task =
        new RelayTask(
            (episode, turn) -> {
              if (episode == 1 && turn == 2) {
                Thread.sleep(3000);
              }
            });
    List<EpisodePlayer.Played> played =
        play(task, new EpisodePlayer.Budgets(Duration.ofMillis(10), Duration.ofMillis(400)), 3);
    assertThat(played.get(1).envFailure()).startsWith("env_timeout").contains("e1");
    assertThat(played.get(1).routing().positions()).isEqualTo(played.get(1).tokens().length - 1);
    assertThat(played.get(0).envFailure()).isNull();
    assertThat(played.get(2).envFailure()).isNull();
    assertThat(played.get(2).turns()).isEqualTo(RelayTask.TURNS);
  }

  @Test
  void routingPieces_aLostOrRepeatedPieceIsAnErrorNamingTheTrajectory() {
    RoutingRecord five = RoutingRecord.of(5, 1, 1, 4, new int[] {0, 1, 2, 3, 0});
    RoutingPieces lost = new RoutingPieces("g7-s2");
    lost.add(0, five.slice(0, 2));
    assertThatThrownBy(() -> lost.add(3, five.slice(3, 5)))
        .hasMessageContaining("g7-s2")
        .hasMessageContaining("missing");
    RoutingPieces repeated = new RoutingPieces("g7-s3");
    repeated.add(0, five.slice(0, 3));
    assertThatThrownBy(() -> repeated.add(2, five.slice(2, 5)))
        .hasMessageContaining("g7-s3")
        .hasMessageContaining("out of order");
    RoutingPieces whole = new RoutingPieces("g7-s4");
    whole.add(0, five.slice(0, 2));
    whole.add(2, five.slice(2, 5));
    assertThat(whole.complete(5)).isEqualTo(five);
    assertThatThrownBy(() -> whole.complete(6)).hasMessageContaining("g7-s4");
  }
}
