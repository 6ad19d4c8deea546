package dev.r3.model;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * An immutable, named set of host tensors for one {@link ModelConfig}: the unit that checkpoints
 * store, that the learner publishes to rollout workers, and from which both engines are built.
 * Names and shapes are the Hugging Face ones (linear weights are {@code (out, in)}).
 */
public final class ModelWeights {
  private final ModelConfig config;
  private final Map<String, HostTensor> tensors;

  public ModelWeights(ModelConfig config, Map<String, HostTensor> tensors) {
    this.config = config;
    this.tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
    Map<String, int[]> expected = expectedShapes(config);
    for (var e : expected.entrySet()) {
      HostTensor t = this.tensors.get(e.getKey());
      if (t == null) {
        throw new IllegalArgumentException("weights lack tensor '" + e.getKey() + "'");
      }
      if (!Arrays.equals(t.shape(), e.getValue())) {
        throw new IllegalArgumentException(
            "tensor '"
                + e.getKey()
                + "' has shape "
                + Arrays.toString(t.shape())
                + ", config expects "
                + Arrays.toString(e.getValue()));
      }
    }
    for (String name : this.tensors.keySet()) {
      if (!expected.containsKey(name)) {
        throw new IllegalArgumentException("unexpected tensor '" + name + "' for this config");
      }
    }
  }

  public ModelConfig config() {
    return config;
  }

  /** Tensors in canonical order (embedding, layers, final norm, head). Do not mutate the arrays. */
  public Map<String, HostTensor> tensors() {
    return tensors;
  }

  public HostTensor get(String name) {
    HostTensor t = tensors.get(name);
    if (t == null) {
      throw new IllegalArgumentException("no tensor named '" + name + "'");
    }
    return t;
  }

  /** Bit-exact equality of every tensor. */
  public boolean sameAs(ModelWeights other) {
    if (!config.equals(other.config) || !tensors.keySet().equals(other.tensors.keySet())) {
      return false;
    }
    for (var e : tensors.entrySet()) {
      if (!e.getValue().sameAs(other.tensors.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }

  /** Every tensor name with its shape, in canonical order. */
  public static Map<String, int[]> expectedShapes(ModelConfig c) {
    Map<String, int[]> m = new LinkedHashMap<>();
    int h = c.hiddenSize();
    int qDim = c.numHeads() * c.headDim();
    int kvDim = c.numKvHeads() * c.headDim();
    m.put(TensorNames.EMBED, new int[] {c.vocabSize(), h});
    for (int i = 0; i < c.numLayers(); i++) {
      m.put(TensorNames.inputNorm(i), new int[] {h});
      m.put(TensorNames.qProj(i), new int[] {qDim, h});
      m.put(TensorNames.kProj(i), new int[] {kvDim, h});
      m.put(TensorNames.vProj(i), new int[] {kvDim, h});
      m.put(TensorNames.oProj(i), new int[] {h, qDim});
      m.put(TensorNames.qNorm(i), new int[] {c.headDim()});
      m.put(TensorNames.kNorm(i), new int[] {c.headDim()});
      m.put(TensorNames.postAttnNorm(i), new int[] {h});
      if (c.isMoe()) {
        int w = c.moeIntermediateSize();
        m.put(TensorNames.router(i), new int[] {c.numExperts(), h});
        for (int j = 0; j < c.numExperts(); j++) {
          m.put(TensorNames.expert(i, j, "gate_proj"), new int[] {w, h});
          m.put(TensorNames.expert(i, j, "up_proj"), new int[] {w, h});
          m.put(TensorNames.expert(i, j, "down_proj"), new int[] {h, w});
        }
      } else {
        int w = c.intermediateSize();
        m.put(TensorNames.denseMlp(i, "gate_proj"), new int[] {w, h});
        m.put(TensorNames.denseMlp(i, "up_proj"), new int[] {w, h});
        m.put(TensorNames.denseMlp(i, "down_proj"), new int[] {h, w});
      }
    }
    m.put(TensorNames.FINAL_NORM, new int[] {h});
    m.put(TensorNames.LM_HEAD, new int[] {c.vocabSize(), h});
    return m;
  }

  /**
   * Fills one matrix of a seeded random model: {@code data} (all zeros, flattened {@code shape})
   * from {@code rng}, a stream of its own. Norm weights (1-D) are always ones and never reach it.
   */
  @FunctionalInterface
  public interface MatrixInit {
    void fill(String name, int[] shape, SplittableRandom rng, float[] data);
  }

  /**
   * A seeded random model: normal(0, initializer_range) for every matrix, ones for every norm
   * weight (as Hugging Face initialises Qwen3). Output projections are scaled by 1/sqrt(2 *
   * layers), as GPT-2 does, so that a deep random model stays well conditioned.
   */
  public static ModelWeights random(ModelConfig c, long seed) {
    float residualScale = (float) (1.0 / Math.sqrt(2.0 * c.numLayers()));
    return random(
        c,
        seed,
        (name, shape, rng, data) -> {
          float std = c.initStd();
          if (name.endsWith("o_proj.weight") || name.endsWith("down_proj.weight")) {
            std *= residualScale;
          }
          for (int i = 0; i < data.length; i++) {
            data[i] = (float) (gaussian(rng) * std);
          }
        });
  }

  /**
   * A seeded random model with matrices filled by {@code init}: every tensor draws from its own
   * stream, split from {@code seed} in canonical order, so a tensor's values do not depend on how
   * others are initialised.
   */
  public static ModelWeights random(ModelConfig c, long seed, MatrixInit init) {
    SplittableRandom root = new SplittableRandom(seed);
    Map<String, HostTensor> m = new LinkedHashMap<>();
    for (var e : expectedShapes(c).entrySet()) {
      int[] shape = e.getValue();
      int n = 1;
      for (int d : shape) {
        n *= d;
      }
      float[] data = new float[n];
      SplittableRandom rng = root.split();
      if (shape.length == 1) {
        Arrays.fill(data, 1f);
      } else {
        init.fill(e.getKey(), shape, rng, data);
      }
      m.put(e.getKey(), new HostTensor(shape, data));
    }
    return new ModelWeights(c, m);
  }

  /** A standard normal draw (Box-Muller: SplittableRandom has no nextGaussian on Java 17). */
  public static double gaussian(SplittableRandom rng) {
    double u1 = rng.nextDouble();
    double u2 = rng.nextDouble();
    return Math.sqrt(-2.0 * Math.log(1.0 - u1)) * Math.cos(2.0 * Math.PI * u2);
  }
}
