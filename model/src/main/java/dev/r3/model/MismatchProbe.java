package dev.r3.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Measures the training-inference mismatch of one model the way DESIGN.md section 2 defines it: the
 * rollout engine (reduced precision, KV cache, batched decode) generates responses and records its
 * routing; the float32 trainer then scores the very same tokens twice, once recomputing its own
 * routing ({@link RoutingMode#RECOMPUTE}) and once replaying the rollout's ({@link
 * RoutingMode#REPLAY}, R3).
 *
 * <p>For a dense model only the recompute figures exist (nothing is routed). The probe owns no
 * state: engines are built, used and closed inside {@link #measure}.
 */
public final class MismatchProbe {
  private MismatchProbe() {}

  /**
   * @param precision the rollout engine's numerics (the mismatch source)
   * @param sampling temperature, top-p, token limit and seed of the rollout; the trainer scores at
   *     the same temperature
   * @param batchSize prompts per rollout batch (and per trainer scoring call)
   * @param positions which routing positions count towards router disagreement
   */
  public record Options(
      RolloutPrecision precision,
      SamplingParams sampling,
      int batchSize,
      MismatchMeasures.RoutingPositions positions) {
    public Options {
      if (batchSize < 1) {
        throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
      }
    }

    public Options(RolloutPrecision precision, SamplingParams sampling) {
      this(precision, sampling, 64, MismatchMeasures.RoutingPositions.ALL);
    }
  }

  /**
   * What one model showed.
   *
   * @param recompute the trainer recomputing its routing (for a dense model: the only figures)
   * @param replay the trainer replaying the rollout's routing (R3); null for a dense model
   * @param responses number of sequences generated
   * @param seconds wall time of generation plus scoring
   */
  public record Result(
      MismatchMeasures.Summary recompute,
      MismatchMeasures.Summary replay,
      int responses,
      double seconds) {}

  /** Generates one response per prompt with the rollout engine and scores them with the trainer. */
  public static Result measure(ModelWeights weights, List<int[]> prompts, Options opts) {
    if (prompts.isEmpty()) {
      throw new IllegalArgumentException("no prompts to measure on");
    }
    long t0 = System.nanoTime();
    ModelConfig cfg = weights.config();
    List<Generation> generations = new ArrayList<>(prompts.size());
    RolloutOptions ro =
        RolloutOptions.defaults().withBf16Activations(opts.precision().roundsActivations());
    try (RolloutEngine engine = new RolloutEngine(opts.precision().prepare(weights), ro)) {
      for (int from = 0; from < prompts.size(); from += opts.batchSize()) {
        List<int[]> batch =
            prompts.subList(from, Math.min(prompts.size(), from + opts.batchSize()));
        // A distinct seed per batch: the per-sequence streams of the sampler restart at every call.
        generations.addAll(
            engine.generate(batch, opts.sampling().withSeed(opts.sampling().seed() + from)));
      }
    }

    MismatchMeasures.Accumulator recompute = MismatchMeasures.accumulator(opts.positions());
    MismatchMeasures.Accumulator replay =
        cfg.isMoe() ? MismatchMeasures.accumulator(opts.positions()) : null;
    TrainerOptions to = TrainerOptions.defaults().withTemperature(opts.sampling().temperature());
    try (Trainer trainer = new Trainer(weights, to)) {
      for (int from = 0; from < generations.size(); from += opts.batchSize()) {
        List<Generation> batch =
            generations.subList(from, Math.min(generations.size(), from + opts.batchSize()));
        List<Sequence> seqs = new ArrayList<>(batch.size());
        List<RoutingRecord> records = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
          seqs.add(batch.get(i).toSequence("probe-" + (from + i)));
          records.add(batch.get(i).routing());
        }
        ScoreResult own = trainer.score(seqs, RoutingMode.RECOMPUTE, null);
        add(recompute, batch, own, cfg.isMoe());
        if (replay != null) {
          ScoreResult replayed = trainer.score(seqs, RoutingMode.REPLAY, records);
          add(replay, batch, replayed, true);
        }
      }
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    return new Result(
        recompute.summary(), replay == null ? null : replay.summary(), generations.size(), seconds);
  }

  private static void add(
      MismatchMeasures.Accumulator acc,
      List<Generation> batch,
      ScoreResult scored,
      boolean routed) {
    for (int i = 0; i < batch.size(); i++) {
      Generation g = batch.get(i);
      // Trainer log-prob t scores token t + 1: the response tokens are promptLength .. T-1.
      float[] train =
          Arrays.copyOfRange(scored.logProbs()[i], g.promptLength() - 1, g.length() - 1);
      acc.addTokens(train, g.logProbs());
      if (routed) {
        acc.addRouting(g.routing(), scored.routing().get(i), g.promptLength());
      }
    }
  }
}
