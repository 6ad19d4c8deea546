package dev.r3.actors.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.r3.actors.djl.DjlGenerators;
import dev.r3.actors.djl.ModelSizes;
import dev.r3.actors.learning.Trajectory;
import dev.r3.actors.learning.WeightsSnapshot;
import dev.r3.actors.pipeline.RolloutWorker.Generate;
import dev.r3.actors.pipeline.RolloutWorker.GenerateReply;
import dev.r3.actors.pipeline.RolloutWorker.Generated;
import dev.r3.actors.pipeline.RolloutWorker.GenerationFailed;
import dev.r3.actors.pipeline.RolloutWorker.Started;
import dev.r3.actors.ports.Generator;
import dev.r3.actors.testkit.EchoTask;
import dev.r3.model.Generation;
import dev.r3.model.ModelWeights;
import dev.r3.model.RolloutPrecision;
import dev.r3.model.SamplingParams;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Continuous batching in a rollout worker, on the real DJL engine (fp32), messages serialized. */
class ContinuousRolloutWorkerTest {
  static final ActorTestKit kit =
      ActorTestKit.create(
          ConfigFactory.parseString("pekko.actor.serialize-messages = on")
              .withFallback(ConfigFactory.load()));
  static final SamplingParams SAMPLING = new SamplingParams(1f, 1f, 10, -1, 0);

  /** Longer than one slice of decode steps. */
  static final SamplingParams LONG =
      new SamplingParams(1f, 1f, 2 * ContinuousRolloutWorker.SLICE_STEPS + 4, -1, 0);

  static final DjlGenerators ENGINES = new DjlGenerators(RolloutPrecision.FP32);
  static final AtomicInteger ids = new AtomicInteger();
  static final ModelWeights V0 = ModelWeights.random(ModelSizes.of("tiny", EchoTask.VOCAB), 5);
  static final ModelWeights V1 = ModelWeights.random(ModelSizes.of("tiny", EchoTask.VOCAB), 6);

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  static ActorRef<RolloutWorker.Command> worker(int maxRows, SamplingParams sampling) {
    return kit.spawn(
        ContinuousRolloutWorker.create("w", ENGINES, sampling, maxRows, self -> {}),
        "cworker-" + ids.incrementAndGet());
  }

  static Generate group(long id, int[] prompt, int samples, long minVersion, TestProbe<?> p) {
    @SuppressWarnings("unchecked")
    ActorRef<GenerateReply> to = (ActorRef<GenerateReply>) (ActorRef<?>) p.getRef();
    return new Generate(id, 1, 7, prompt, samples, minVersion, 100 + id, to);
  }

  /** The replies in arrival order until every group has its result. */
  static List<GenerateReply> untilResults(TestProbe<GenerateReply> replies, int groups) {
    List<GenerateReply> out = new ArrayList<>();
    int results = 0;
    while (results < groups) {
      GenerateReply r = replies.receiveMessage(Duration.ofSeconds(60));
      out.add(r);
      results += r instanceof Started ? 0 : 1;
    }
    return out;
  }

  /** The group generated alone, in one engine call (the worker without continuous batching). */
  static void assertSameAsAlone(
      ModelWeights w, Generate req, Generated got, SamplingParams sampling) {
    try (Generator g = ENGINES.open(w)) {
      List<Generation> alone =
          g.generate(
              Collections.nCopies(req.samples(), req.prompt()),
              sampling.withSeed(req.samplingSeed()));
      assertThat(got.trajectories()).hasSize(req.samples());
      for (int j = 0; j < req.samples(); j++) {
        Trajectory t = got.trajectories().get(j);
        Generation a = alone.get(j);
        assertThat(t.sample()).isEqualTo(j);
        assertThat(t.tokens()).as("group %d sample %d", req.groupId(), j).isEqualTo(a.tokens());
        assertThat(t.routing()).isEqualTo(a.routing());
        for (int i = 0; i < a.logProbs().length; i++) {
          assertThat(Math.abs(t.logProbs()[i] - a.logProbs()[i])).isLessThanOrEqualTo(1e-6f);
        }
      }
    }
  }

  @Test
  void queuedGroupsShareOneRunningBatch_andEachGetsWhatItGetsAlone() {
    TestProbe<GenerateReply> replies = kit.createTestProbe();
    ActorRef<RolloutWorker.Command> w = worker(12, SAMPLING);
    List<Generate> reqs =
        List.of(
            group(1, new int[] {1, 2, 3}, 4, 0, replies),
            group(2, new int[] {4, 5, 6, 7, 8, 9}, 4, 0, replies),
            group(3, new int[] {3, 1}, 4, 0, replies),
            group(4, new int[] {2, 2, 2, 2}, 4, 0, replies)); // joins once 4 rows are free
    reqs.forEach(w::tell);
    w.tell(new RolloutWorker.UseWeights(new WeightsSnapshot(0, V0)));
    List<GenerateReply> got = untilResults(replies, 4);
    // the first three start together (12 rows), before any result; the fourth waits for rows
    assertThat(got.subList(0, 3)).allMatch(r -> r instanceof Started);
    assertThat(got.get(3)).isInstanceOf(Generated.class);
    Map<Long, Generated> results = new HashMap<>();
    got.stream()
        .filter(r -> r instanceof Generated)
        .forEach(r -> results.put(r.groupId(), (Generated) r));
    for (Generate req : reqs) {
      Generated g = results.get(req.groupId());
      assertThat(g.version()).isZero();
      assertSameAsAlone(V0, req, g, SAMPLING);
    }
  }

  @Test
  void newWeights_waitForTheRunningBatchToDrain_soNoSequenceMixesVersions() {
    TestProbe<GenerateReply> replies = kit.createTestProbe();
    ActorRef<RolloutWorker.Command> w = worker(64, LONG);
    Generate first = group(1, new int[] {1, 2, 3}, 4, 0, replies);
    Generate second = group(2, new int[] {4, 5, 6}, 4, 0, replies); // any version will do
    // in the mailbox together: the first group starts on v0; v1 and the second group arrive
    // while its first slice runs (it needs more than one slice)
    w.tell(first);
    w.tell(new RolloutWorker.UseWeights(new WeightsSnapshot(0, V0)));
    w.tell(new RolloutWorker.UseWeights(new WeightsSnapshot(1, V1)));
    w.tell(second);
    List<GenerateReply> got = untilResults(replies, 2);
    // the second group does not join the v0 batch (rows are free): it starts after the first ends
    assertThat(got)
        .extracting(r -> r.getClass().getSimpleName() + " " + r.groupId())
        .containsExactly("Started 1", "Generated 1", "Started 2", "Generated 2");
    Generated a = (Generated) got.get(1);
    Generated b = (Generated) got.get(3);
    assertThat(a.version()).isZero();
    assertThat(a.trajectories()).allMatch(t -> t.version() == 0);
    assertThat(b.version()).isEqualTo(1);
    assertThat(b.trajectories()).allMatch(t -> t.version() == 1);
    assertSameAsAlone(V0, first, a, LONG);
    assertSameAsAlone(V1, second, b, LONG);
  }

  @Test
  void aCancelledGroup_isAnsweredAtOnce_andTheOthersComplete() {
    TestProbe<GenerateReply> replies = kit.createTestProbe();
    ActorRef<RolloutWorker.Command> w = worker(64, SAMPLING);
    Generate keep = group(1, new int[] {1, 2, 3}, 4, 0, replies);
    Generate gone = group(2, new int[] {4, 5, 6}, 4, 0, replies);
    w.tell(keep);
    w.tell(gone);
    w.tell(new RolloutWorker.UseWeights(new WeightsSnapshot(0, V0)));
    w.tell(new RolloutWorker.Cancel(2, 1));
    List<GenerateReply> got = untilResults(replies, 2);
    GenerationFailed f =
        got.stream()
            .filter(r -> r instanceof GenerationFailed)
            .map(r -> (GenerationFailed) r)
            .findFirst()
            .orElseThrow();
    assertThat(f.groupId()).isEqualTo(2);
    assertThat(f.reason()).isEqualTo("cancelled");
    Generated g =
        got.stream()
            .filter(r -> r instanceof Generated)
            .map(r -> (Generated) r)
            .findFirst()
            .orElseThrow();
    assertSameAsAlone(V0, keep, g, SAMPLING);
    replies.expectNoMessage(Duration.ofMillis(300)); // nothing more for the cancelled group
  }
}
