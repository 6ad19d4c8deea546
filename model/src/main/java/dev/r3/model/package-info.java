/**
 * The MoE model and its two engines, with Rollout Routing Replay (DESIGN.md sections 1, 2, 5b, 6).
 *
 * <p>Public surface:
 *
 * <ul>
 *   <li>{@link dev.r3.model.ModelConfig}, {@link dev.r3.model.ModelWeights}, {@link
 *       dev.r3.model.HostTensor}: the model's shape and host weights with Hugging Face names;
 *   <li>{@link dev.r3.model.RolloutEngine} ({@link dev.r3.model.RolloutOptions}): batched sampling
 *       with a KV cache, returning {@link dev.r3.model.Generation}s that carry per-token
 *       log-probabilities and the {@link dev.r3.model.RoutingRecord} of every fed token;
 *   <li>{@link dev.r3.model.Trainer} ({@link dev.r3.model.TrainerOptions}): float32 scoring and
 *       AdamW steps on a {@link dev.r3.model.PolicyLoss} over a {@link dev.r3.model.TokenBatch},
 *       routing per {@link dev.r3.model.RoutingMode} (RECOMPUTE, REPLAY = R3, R2);
 *   <li>{@link dev.r3.model.Sampler}, {@link dev.r3.model.SamplingParams}, {@link
 *       dev.r3.model.Sequence}.
 * </ul>
 *
 * <p>Both engines run the one decoder in {@code MoeDecoder}; parameters sit on the device in the
 * {@code DeviceLayout}. DJL arrays never leave this package: every public method takes and returns
 * host values, except {@link dev.r3.model.PolicyLoss}, which runs inside the trainer's step scope.
 *
 * <p>Threads: set the intra-op thread count for the process with {@code OMP_NUM_THREADS}
 * (libtorch's pool is process-wide); one thread per engine is fastest for small batches on a loaded
 * machine.
 */
package dev.r3.model;
