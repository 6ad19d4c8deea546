package dev.r3.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Bad input at the model's two doors, counted: routing records of the wrong shape or with expert
 * ids outside [0, E), token ids outside the vocabulary, empty prompts and sequences, prompts longer
 * than the model's positions. Each must fail with an IllegalArgumentException naming what is wrong
 * (and the sequence), and leave the trainer and the engine usable: a good call right after gives
 * the same answer as before the bad one.
 */
class BadModelInputTest {
  static final ModelConfig C = Tiny.moe(); // V = 20, 2 layers, E = 8, k = 2, 64 positions
  static Trainer trainer;
  static RolloutEngine engine;
  static final SamplingParams SAMPLING = new SamplingParams(1f, 1f, 3, 1, 5);

  @BeforeAll
  static void open() {
    ModelWeights w = ModelWeights.random(C, 3);
    trainer = new Trainer(w, TrainerOptions.defaults());
    engine = new RolloutEngine(w, RolloutOptions.defaults());
  }

  @AfterAll
  static void close() {
    trainer.close();
    engine.close();
  }

  record Case(String what, Supplier<Object> call, String expected) {}

  static Sequence seq(int... tokens) {
    return new Sequence("bad-seq", tokens, 1);
  }

  static RoutingRecord record(int positions, int layers, int k, int experts) {
    int[] ids = new int[positions * layers * k];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = i % k;
    }
    return RoutingRecord.of(positions, layers, k, experts, ids);
  }

  static Object replay(RoutingRecord r) {
    return trainer.score(List.of(seq(1, 2, 3, 4)), RoutingMode.REPLAY, Arrays.asList(r));
  }

  static List<Case> cases() {
    List<Case> c = new ArrayList<>();
    // ---- routing records: shape
    c.add(
        new Case("positions T", () -> replay(record(4, 2, 2, 8)), "positions 4 != tokens - 1 = 3"));
    c.add(new Case("positions T-2", () -> replay(record(2, 2, 2, 8)), "positions 2 != tokens - 1"));
    c.add(new Case("zero positions", () -> replay(record(0, 2, 2, 8)), "positions 0"));
    c.add(new Case("one layer", () -> replay(record(3, 1, 2, 8)), "layers 1 != 2"));
    c.add(new Case("three layers", () -> replay(record(3, 3, 2, 8)), "layers 3 != 2"));
    c.add(new Case("k 1", () -> replay(record(3, 2, 1, 8)), "k 1 != 2"));
    c.add(new Case("k 3", () -> replay(record(3, 2, 3, 8)), "k 3 != 2"));
    c.add(new Case("16 experts", () -> replay(record(3, 2, 2, 16)), "experts 16 != 8"));
    c.add(new Case("4 experts", () -> replay(record(3, 2, 2, 4)), "experts 4 != 8"));
    c.add(new Case("empty record", () -> replay(RoutingRecord.empty(3)), "layers 0 != 2"));
    c.add(
        new Case(
            "missing record",
            () -> replay(null),
            "routing record of sequence 'bad-seq' is missing"));
    c.add(
        new Case(
            "no records at all",
            () -> trainer.score(List.of(seq(1, 2, 3)), RoutingMode.REPLAY, null),
            "needs one routing record per sequence"));
    c.add(
        new Case(
            "two records for one sequence",
            () ->
                trainer.score(
                    List.of(seq(1, 2, 3)),
                    RoutingMode.REPLAY,
                    List.of(record(2, 2, 2, 8), record(2, 2, 2, 8))),
            "got 2 for 1 sequences"));
    // ---- routing records: ids
    for (int id : new int[] {8, 9, 255, -1, Integer.MAX_VALUE, Integer.MIN_VALUE}) {
      c.add(
          new Case(
              "expert id " + id,
              () -> RoutingRecord.of(1, 1, 2, 8, new int[] {0, id}),
              "expert id " + id + " out of range [0, 8)"));
    }
    c.add(
        new Case(
            "compact id >= E",
            () -> RoutingRecord.fromCompact(1, 1, 2, 8, new byte[] {0, 8}),
            "expert id 8 out of range"));
    c.add(
        new Case(
            "compact id 255 as unsigned",
            () -> RoutingRecord.fromCompact(1, 1, 2, 8, new byte[] {0, (byte) 255}),
            "expert id 255 out of range"));
    c.add(
        new Case(
            "compact length",
            () -> RoutingRecord.fromCompact(2, 1, 2, 8, new byte[3]),
            "expected 4 bytes, got 3"));
    c.add(
        new Case(
            "id count",
            () -> RoutingRecord.of(2, 2, 2, 8, new int[7]),
            "expected 2x2x2 = 8 values, got 7"));
    c.add(new Case("negative shape", () -> RoutingRecord.of(-1, 2, 2, 8, new int[0]), "negative"));
    c.add(new Case("zero experts", () -> RoutingRecord.of(1, 1, 1, 0, new int[1]), "numExperts"));
    c.add(
        new Case(
            "70000 experts", () -> RoutingRecord.of(1, 1, 1, 70000, new int[1]), "numExperts"));
    // ---- token ids outside the vocabulary
    for (int t : new int[] {-1, 20, 21, 1000, Integer.MAX_VALUE, Integer.MIN_VALUE}) {
      c.add(
          new Case(
              "trainer token " + t,
              () -> trainer.score(List.of(seq(1, t, 3)), RoutingMode.RECOMPUTE, null),
              "holds token " + t + " outside the vocabulary [0, 20)"));
      c.add(
          new Case(
              "engine token " + t,
              () -> engine.generate(List.of(new int[] {1, t}), SAMPLING),
              "holds token " + t + " outside the vocabulary [0, 20)"));
    }
    c.add(
        new Case(
            "trainStep token 20",
            () ->
                trainer.trainStep(
                    List.of(seq(1, 2, 20)),
                    RoutingMode.RECOMPUTE,
                    null,
                    PolicyLoss.negativeLogLikelihood()),
            "outside the vocabulary"));
    // ---- empty prompts and sequences
    c.add(
        new Case(
            "empty prompt",
            () -> engine.generate(List.of(new int[0]), SAMPLING),
            "prompt 0 is empty"));
    c.add(
        new Case(
            "second prompt empty",
            () -> engine.generate(List.of(new int[] {1}, new int[0]), SAMPLING),
            "prompt 1 is empty"));
    c.add(new Case("empty sequence", () -> seq(), "needs at least 2 tokens, has 0"));
    c.add(new Case("one-token sequence", () -> seq(1), "needs at least 2 tokens, has 1"));
    c.add(
        new Case(
            "prompt length 0",
            () -> new Sequence("s", new int[] {1, 2}, 0),
            "prompt length 0 outside [1, 2]"));
    c.add(
        new Case(
            "prompt longer than the sequence",
            () -> new Sequence("s", new int[] {1, 2}, 3),
            "prompt length 3 outside"));
    c.add(
        new Case(
            "empty batch",
            () -> trainer.score(List.of(), RoutingMode.RECOMPUTE, null),
            "empty batch"));
    // ---- longer than the model's positions (64)
    for (int n : new int[] {65, 66, 200, 4096}) {
      c.add(
          new Case(
              "engine prompt of " + n,
              () -> engine.generate(List.of(new int[n]), SAMPLING),
              "has " + n + " tokens, more than max_position_embeddings = 64"));
      c.add(
          new Case(
              "trainer sequence of " + (n + 1),
              () -> trainer.score(List.of(seq(new int[n + 1])), RoutingMode.RECOMPUTE, null),
              "has "
                  + (n + 1)
                  + " tokens; the model takes at most max_position_embeddings + 1 = 65"));
    }
    return c;
  }

  @Test
  void everyBadInput_failsWithAClearError_andLosesNothing() {
    List<Sequence> good = Tiny.randomSequences(3, 4, 9, 1);
    float[][] before = trainer.score(good, RoutingMode.RECOMPUTE, null).logProbs();
    List<Generation> genBefore = engine.generate(List.of(new int[] {1, 2, 3}), SAMPLING);
    List<Case> cases = cases();
    List<String> wrong = new ArrayList<>();
    for (Case k : cases) {
      Throwable t = catchThrowable(() -> k.call().get());
      if (!(t instanceof IllegalArgumentException) || !t.getMessage().contains(k.expected())) {
        wrong.add(k.what() + ": expected an error containing '" + k.expected() + "', got " + t);
      }
    }
    assertThat(wrong).isEmpty();
    assertThat(cases).hasSizeGreaterThanOrEqualTo(50);
    assertThat(Tiny.maxAbsDiff(trainer.score(good, RoutingMode.RECOMPUTE, null).logProbs(), before))
        .isZero();
    assertThat(engine.generate(List.of(new int[] {1, 2, 3}), SAMPLING).get(0).tokens())
        .containsExactly(genBefore.get(0).tokens());
  }
}
