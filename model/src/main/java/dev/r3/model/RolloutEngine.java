package dev.r3.model;

import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import java.util.List;

/**
 * The inference engine: batched sampling with a KV cache, no autograd, optionally bfloat16-rounded
 * activations (weights are rounded before construction). It records, for every fed token and every
 * MoE layer, the experts it used: the routing records R3 replays in the trainer.
 *
 * <p>Layout of one call ({@link RolloutCall}, {@link PromptPrefill}, {@link BatchKvCache}). Prompts
 * are right-aligned in a shared column space (left padding): column c of a row holds the token at
 * position {@code c - pad} of its sequence, and the RoPE position is that index in the unpadded
 * sequence. Identical prompts (a GRPO group) are prefilled once; their KV entries and prompt
 * routing ids are then copied to every sample. A prompt extending a sequence seen in an earlier
 * call (multi-turn: prompt + response + tool result) reuses that sequence's KV entries and routing
 * ids from the {@link PrefixCache}, so only the new tokens are computed and the record stays
 * complete. Decoding runs one column per step for all live rows at once: one (rows, V) logits copy
 * to the host, one {@link Sampler} per sequence (stream = the prompt's index, so results do not
 * depend on batch composition), and finished rows are dropped from the cache when half the rows are
 * done.
 *
 * <p>Thread safety: {@link #generate} is synchronized; grad mode is turned off on the calling
 * thread.
 */
public final class RolloutEngine implements AutoCloseable {
  private final ModelConfig config;
  private final RolloutOptions opts;
  private final NDManager manager;
  private final MoeDecoder model;
  private final PrefixCache prefixCache;
  private final DecodeCounter decodeCounter = new DecodeCounter();

  public RolloutEngine(ModelWeights weights, RolloutOptions opts) {
    this.config = weights.config();
    this.opts = opts;
    this.manager = NDManager.newBaseManager(); // loads the engine before any JniUtils call
    JniUtils.setGradMode(false);
    this.model = MoeDecoder.load(weights, manager, false, opts.roundActivationsBf16());
    this.prefixCache = new PrefixCache(opts.prefixCacheBytes(), opts.sharePrompts(), manager);
  }

  public ModelConfig config() {
    return config;
  }

  public RolloutOptions options() {
    return opts;
  }

  /** Dispatch override for tests and benchmarks (AUTO picks by token count). */
  void setDispatch(ExpertDispatch.Mode d) {
    model.dispatch.mode = d;
  }

  /**
   * Benchmarks: from now on, count the DJL arrays (op results and views) each decode step creates.
   * Off by default: counting walks the step's arrays once per step.
   */
  synchronized void countDecodeArrays(boolean on) {
    decodeCounter.enabled = on;
    decodeCounter.steps = 0;
    decodeCounter.arrays = 0;
  }

  /** Mean arrays per decode step since counting started; NaN before any step. */
  synchronized double decodeArraysPerStep() {
    return decodeCounter.steps == 0
        ? Double.NaN
        : (double) decodeCounter.arrays / decodeCounter.steps;
  }

  /** Arrays created per decode step, summed while enabled (benchmarks only). */
  static final class DecodeCounter {
    boolean enabled;
    long steps;
    long arrays;

    void step(NDManager scope) {
      if (enabled) {
        steps++;
        arrays += scope.getManagedArrays().size();
      }
    }
  }

  /** Prefix-cache counters (lookups, hits, reused tokens, stored entries and bytes). */
  public synchronized PrefixCache.Stats prefixCacheStats() {
    return prefixCache.stats();
  }

  public synchronized void clearPrefixCache() {
    prefixCache.clear();
  }

  /** Arrays alive in the engine's managers (weights, constants, prefix cache). */
  int liveArrays() {
    return manager.getManagedArrays().size();
  }

  @Override
  public synchronized void close() {
    prefixCache.close();
    manager.close();
  }

  /**
   * Samples a continuation of every prompt, in one batch. A sequence stops after sampling {@code
   * params.eosId()} or after {@code params.maxNewTokens()} tokens (fewer if the model's position
   * limit comes first).
   */
  public synchronized List<Generation> generate(List<int[]> prompts, SamplingParams params) {
    return generate(prompts, params, TurnOptions.NONE);
  }

  /**
   * As {@link #generate(List, SamplingParams)}, a sequence also stopping after sampling any of
   * {@code turn.stopIds()}, and drawing from sampler stream {@code turn.streams()[b]}: one turn of
   * multi-turn episodes, whose prompts extend earlier calls' sequences (reused from the prefix
   * cache).
   */
  public synchronized List<Generation> generate(
      List<int[]> prompts, SamplingParams params, TurnOptions turn) {
    JniUtils.setGradMode(false);
    if (prompts.isEmpty()) {
      return List.of();
    }
    checkPrompts(prompts);
    for (int i = 0; i < prompts.size(); i++) {
      checkRecorded(i, prompts.get(i), turn.recorded(i, prompts.size()));
    }
    try (NDManager call = manager.newSubManager()) {
      return new RolloutCall(model, prefixCache, prompts, params, turn, call, decodeCounter).run();
    }
  }

  /**
   * A running decode batch on this engine for continuous batching: sequences join it (a prefill
   * each) and leave it (at end-of-sequence or their limit) between decode steps. Closed by the
   * caller; it shares the engine's weights and lock.
   */
  public synchronized ContinuousBatch openBatch() {
    return new ContinuousBatch(this, model, prefixCache, manager.newSubManager());
  }

  /** Every prompt non-empty, within the position limit and the vocabulary. */
  void checkPrompts(List<int[]> prompts) {
    for (int i = 0; i < prompts.size(); i++) {
      int[] p = prompts.get(i);
      if (p.length == 0) {
        throw new IllegalArgumentException("prompt " + i + " is empty");
      }
      if (p.length > config.maxPositions()) {
        throw new IllegalArgumentException(
            "prompt "
                + i
                + " has "
                + p.length
                + " tokens, more than max_position_embeddings = "
                + config.maxPositions());
      }
      for (int t : p) {
        if (t < 0 || t >= config.vocabSize()) {
          throw new IllegalArgumentException(
              "prompt "
                  + i
                  + " holds token "
                  + t
                  + " outside the vocabulary [0, "
                  + config.vocabSize()
                  + ")");
        }
      }
    }
  }

  private void checkRecorded(int i, int[] prompt, RoutingRecord r) {
    if (r == null) {
      return;
    }
    int k = config.isMoe() ? config.topK() : 0;
    if (r.positions() > prompt.length
        || (k > 0
            && r.positions() > 0
            && (r.layers() != config.numLayers()
                || r.k() != k
                || r.numExperts() != config.numExperts()))) {
      throw new IllegalArgumentException(
          "prompt "
              + i
              + ": its recorded routing "
              + r.shape()
              + " does not fit a prompt of "
              + prompt.length
              + " tokens on "
              + config.numLayers()
              + " layers with top-"
              + k);
    }
  }
}
