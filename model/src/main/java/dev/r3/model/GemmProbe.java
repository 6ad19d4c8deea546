package dev.r3.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import java.util.SplittableRandom;

/**
 * Measures this machine's float32 matrix-multiply rate through libtorch inside DJL, so that
 * benchmark reports can state throughput as a fraction of what the hardware does on the model's own
 * GEMM shape (DESIGN.md section 6: about 105-115 GFLOP/s on 2048x128 by 128x512 with 2 threads, 58
 * with 1).
 *
 * <p>Method: two arrays of random values (made in Java, so the engine's global random seed is not
 * touched), a few untimed warm-up products, then timed repetitions, each one {@code matMul} whose
 * result is closed at once. libtorch runs CPU ops eagerly, so the call returns when the product is
 * done. The median repetition is the figure reported (robust against another process taking a
 * core); the best one is kept too. Intra-op threads are whatever the engine was configured with
 * ({@code OMP_NUM_THREADS} or DJL's settings) and are reported with the result.
 */
public final class GemmProbe {
  private GemmProbe() {}

  /** The default model's feed-forward GEMM: 2048 tokens, hidden 128, 512 outputs. */
  public static final int[] MODEL_SHAPE = {2048, 128, 512};

  /** One measurement of {@code (m x k) * (k x n)}. */
  public record Result(
      int m, int k, int n, int threads, int repetitions, double medianSeconds, double bestSeconds) {

    /** Floating-point operations of one product: {@code 2 m k n}. */
    public double flops() {
      return 2.0 * m * k * n;
    }

    /** GFLOP/s of the median repetition. */
    public double gflops() {
      return flops() / medianSeconds / 1e9;
    }

    /** GFLOP/s of the fastest repetition. */
    public double bestGflops() {
      return flops() / bestSeconds / 1e9;
    }

    @Override
    public String toString() {
      return String.format(
          "GEMM %dx%d by %dx%d, %d threads: %.1f GFLOP/s median (%.1f best), %.3f ms median",
          m, k, k, n, threads, gflops(), bestGflops(), medianSeconds * 1e3);
    }
  }

  /** The GFLOP/s (median) of the model shape, 2048x128 by 128x512. */
  public static double gflops() {
    return modelShape().gflops();
  }

  /** The model shape with 10 warm-ups and 50 timed repetitions. */
  public static Result modelShape() {
    return measure(MODEL_SHAPE[0], MODEL_SHAPE[1], MODEL_SHAPE[2], 10, 50);
  }

  /** A larger square product (1024^3), closer to the peak rate. */
  public static Result square() {
    return measure(1024, 1024, 1024, 3, 10);
  }

  /**
   * Times {@code (m x k) * (k x n)} float32 products.
   *
   * @param warmup untimed products first (thread pools, caches, allocator)
   * @param repetitions timed products, at least 1
   */
  public static Result measure(int m, int k, int n, int warmup, int repetitions) {
    if (m < 1 || k < 1 || n < 1 || warmup < 0 || repetitions < 1) {
      throw new IllegalArgumentException(
          "need positive sizes and repetitions, got m="
              + m
              + " k="
              + k
              + " n="
              + n
              + " warmup="
              + warmup
              + " repetitions="
              + repetitions);
    }
    SplittableRandom rng = new SplittableRandom(1);
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray a = manager.create(randomFloats(rng, m * k), new Shape(m, k));
      NDArray b = manager.create(randomFloats(rng, k * n), new Shape(k, n));
      for (int i = 0; i < warmup; i++) {
        a.matMul(b).close();
      }
      double[] seconds = new double[repetitions];
      for (int i = 0; i < repetitions; i++) {
        long t0 = System.nanoTime();
        NDArray c = a.matMul(b);
        seconds[i] = (System.nanoTime() - t0) / 1e9;
        c.close();
      }
      ModelBenchmark.Timing t = ModelBenchmark.Timing.of(seconds);
      return new Result(m, k, n, engineThreads(), repetitions, t.medianSeconds(), t.bestSeconds());
    }
  }

  private static float[] randomFloats(SplittableRandom rng, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (rng.nextDouble() * 2 - 1);
    }
    return v;
  }

  /** libtorch's intra-op thread count, or -1 under another engine. */
  static int engineThreads() {
    if (!"PyTorch".equals(Engine.getInstance().getEngineName())) {
      return -1;
    }
    return JniUtils.getNumThreads();
  }

  /** Prints the model-shape and square measurements. */
  public static void main(String[] args) {
    System.out.println(modelShape());
    System.out.println(square());
  }
}
