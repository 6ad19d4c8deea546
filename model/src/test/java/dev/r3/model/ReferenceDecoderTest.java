package dev.r3.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/**
 * The DJL decoder against a plain-Java, double-precision reading of the Qwen3-MoE math (Hugging
 * Face conventions), written independently of the device layout: catches layout, RoPE, GQA and
 * gating errors that comparing the two engines with each other cannot.
 */
class ReferenceDecoderTest {

  @Test
  void trainerLogProbsAndRouting_matchAPlainJavaReference() {
    ModelConfig c = Tiny.moe(0.2f); // 4 heads over 2 kv heads: exercises the GQA head mapping
    ModelWeights w = ModelWeights.random(c, 41);
    List<Sequence> seqs = Tiny.randomSequences(3, 5, 11, 6);
    try (Trainer t = new Trainer(w, TrainerOptions.defaults().withTemperature(0.8f))) {
      ScoreResult s = t.score(seqs, RoutingMode.RECOMPUTE, null);
      for (int i = 0; i < seqs.size(); i++) {
        int[] tokens = seqs.get(i).tokens();
        int[][][] routing = new int[tokens.length - 1][c.numLayers()][];
        double[] ref = reference(w, tokens, 0.8, routing);
        for (int p = 0; p < ref.length; p++) {
          assertThat((double) s.logProbs()[i][p])
              .as("seq %d pos %d", i, p)
              .isCloseTo(ref[p], Offset.offset(2e-5));
          for (int l = 0; l < c.numLayers(); l++) {
            assertThat(s.routing().get(i).experts(p, l)).isEqualTo(routing[p][l]);
          }
        }
      }
    }
  }

  @Test
  void denseTwin_matchesAPlainJavaReference() {
    ModelConfig c = Tiny.moe(0.2f).denseTwin();
    ModelWeights w = ModelWeights.random(c, 42);
    List<Sequence> seqs = Tiny.randomSequences(2, 6, 9, 7);
    try (Trainer t = new Trainer(w, TrainerOptions.defaults())) {
      ScoreResult s = t.score(seqs, RoutingMode.RECOMPUTE, null);
      for (int i = 0; i < seqs.size(); i++) {
        double[] ref = reference(w, seqs.get(i).tokens(), 1.0, null);
        for (int p = 0; p < ref.length; p++) {
          assertThat((double) s.logProbs()[i][p]).isCloseTo(ref[p], Offset.offset(2e-5));
        }
      }
    }
  }

  /**
   * log p(tokens[p + 1] | tokens[..p]) for p < T - 1; fills routing[p][layer] with the top-k ids.
   */
  static double[] reference(ModelWeights w, int[] tokens, double temperature, int[][][] routing) {
    ModelConfig c = w.config();
    int n = tokens.length - 1;
    int hs = c.hiddenSize();
    int hd = c.headDim();
    int nh = c.numHeads();
    int nkv = c.numKvHeads();
    double[][] h = new double[n][];
    for (int t = 0; t < n; t++) {
      h[t] = row(w.get(TensorNames.EMBED), tokens[t]);
    }
    for (int l = 0; l < c.numLayers(); l++) {
      double[][] q = new double[n][];
      double[][] k = new double[n][];
      double[][] v = new double[n][];
      for (int t = 0; t < n; t++) {
        double[] a = rms(h[t], w.get(TensorNames.inputNorm(l)).data(), c.rmsNormEps());
        q[t] = matVec(w.get(TensorNames.qProj(l)), a);
        k[t] = matVec(w.get(TensorNames.kProj(l)), a);
        v[t] = matVec(w.get(TensorNames.vProj(l)), a);
        for (int head = 0; head < nh; head++) {
          headNormRope(q[t], head, hd, w.get(TensorNames.qNorm(l)).data(), c, t);
        }
        for (int head = 0; head < nkv; head++) {
          headNormRope(k[t], head, hd, w.get(TensorNames.kNorm(l)).data(), c, t);
        }
      }
      for (int t = 0; t < n; t++) {
        double[] attn = new double[nh * hd];
        for (int head = 0; head < nh; head++) {
          int kvHead = head / (nh / nkv);
          double[] score = new double[t + 1];
          double max = Double.NEGATIVE_INFINITY;
          for (int u = 0; u <= t; u++) {
            double dot = 0;
            for (int j = 0; j < hd; j++) {
              dot += q[t][head * hd + j] * k[u][kvHead * hd + j];
            }
            score[u] = dot / Math.sqrt(hd);
            max = Math.max(max, score[u]);
          }
          double z = 0;
          for (int u = 0; u <= t; u++) {
            score[u] = Math.exp(score[u] - max);
            z += score[u];
          }
          for (int u = 0; u <= t; u++) {
            for (int j = 0; j < hd; j++) {
              attn[head * hd + j] += score[u] / z * v[u][kvHead * hd + j];
            }
          }
        }
        add(h[t], matVec(w.get(TensorNames.oProj(l)), attn));
      }
      for (int t = 0; t < n; t++) {
        double[] m = rms(h[t], w.get(TensorNames.postAttnNorm(l)).data(), c.rmsNormEps());
        if (!c.isMoe()) {
          add(
              h[t],
              swiglu(
                  w.get(TensorNames.denseMlp(l, "gate_proj")),
                  w.get(TensorNames.denseMlp(l, "up_proj")),
                  w.get(TensorNames.denseMlp(l, "down_proj")),
                  m));
          continue;
        }
        double[] s = matVec(w.get(TensorNames.router(l)), m);
        int[] top = new int[c.topK()];
        boolean[] taken = new boolean[s.length];
        for (int j = 0; j < top.length; j++) {
          int best = -1;
          for (int e = 0; e < s.length; e++) {
            if (!taken[e] && (best < 0 || s[e] > s[best])) {
              best = e;
            }
          }
          taken[best] = true;
          top[j] = best;
        }
        routing[t][l] = top;
        double z = 0;
        for (int e : top) {
          z += Math.exp(s[e]);
        }
        for (int e : top) {
          double[] y =
              swiglu(
                  w.get(TensorNames.expert(l, e, "gate_proj")),
                  w.get(TensorNames.expert(l, e, "up_proj")),
                  w.get(TensorNames.expert(l, e, "down_proj")),
                  m);
          double g = Math.exp(s[e]) / z;
          for (int j = 0; j < hs; j++) {
            h[t][j] += g * y[j];
          }
        }
      }
    }
    double[] out = new double[n];
    for (int t = 0; t < n; t++) {
      double[] logits =
          matVec(
              w.get(TensorNames.LM_HEAD),
              rms(h[t], w.get(TensorNames.FINAL_NORM).data(), c.rmsNormEps()));
      double max = Double.NEGATIVE_INFINITY;
      for (double x : logits) {
        max = Math.max(max, x / temperature);
      }
      double z = 0;
      for (double x : logits) {
        z += Math.exp(x / temperature - max);
      }
      out[t] = logits[tokens[t + 1]] / temperature - max - Math.log(z);
    }
    return out;
  }

  /** Per-head RMSNorm then RoPE (rotate_half: x * cos + cat(-x2, x1) * sin), in place. */
  static void headNormRope(double[] x, int head, int hd, float[] w, ModelConfig c, int pos) {
    double ms = 0;
    for (int j = 0; j < hd; j++) {
      ms += x[head * hd + j] * x[head * hd + j];
    }
    double r = 1 / Math.sqrt(ms / hd + c.rmsNormEps());
    double[] y = new double[hd];
    for (int j = 0; j < hd; j++) {
      y[j] = x[head * hd + j] * r * w[j];
    }
    for (int j = 0; j < hd / 2; j++) {
      double angle = pos * Math.pow(c.ropeTheta(), -2.0 * j / hd);
      double x1 = y[j];
      double x2 = y[j + hd / 2];
      x[head * hd + j] = x1 * Math.cos(angle) - x2 * Math.sin(angle);
      x[head * hd + j + hd / 2] = x2 * Math.cos(angle) + x1 * Math.sin(angle);
    }
  }

  static double[] swiglu(HostTensor gate, HostTensor up, HostTensor down, double[] x) {
    double[] g = matVec(gate, x);
    double[] u = matVec(up, x);
    for (int i = 0; i < g.length; i++) {
      g[i] = g[i] / (1 + Math.exp(-g[i])) * u[i];
    }
    return matVec(down, g);
  }

  static double[] rms(double[] x, float[] w, double eps) {
    double ms = 0;
    for (double v : x) {
      ms += v * v;
    }
    double r = 1 / Math.sqrt(ms / x.length + eps);
    double[] y = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      y[i] = x[i] * r * w[i];
    }
    return y;
  }

  /** W x for a Hugging Face (out, in) weight. */
  static double[] matVec(HostTensor w, double[] x) {
    int out = w.shape()[0];
    int in = w.shape()[1];
    double[] y = new double[out];
    for (int o = 0; o < out; o++) {
      double s = 0;
      for (int i = 0; i < in; i++) {
        s += w.data()[o * in + i] * x[i];
      }
      y[o] = s;
    }
    return y;
  }

  static double[] row(HostTensor t, int r) {
    int cols = t.shape()[1];
    double[] y = new double[cols];
    for (int i = 0; i < cols; i++) {
      y[i] = t.data()[r * cols + i];
    }
    return y;
  }

  static void add(double[] a, double[] b) {
    for (int i = 0; i < a.length; i++) {
      a[i] += b[i];
    }
  }
}
