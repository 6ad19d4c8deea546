package dev.r3.actors.testkit;

import dev.r3.actors.config.R3Config;
import dev.r3.actors.djl.DjlTrainer;
import dev.r3.actors.ports.Generator;
import dev.r3.actors.ports.PolicyTrainer;
import dev.r3.model.Generation;
import dev.r3.model.HostTensor;
import dev.r3.model.ModelConfig;
import dev.r3.model.ModelWeights;
import dev.r3.model.RoutingMode;
import dev.r3.model.RoutingRecord;
import dev.r3.model.Sampler;
import dev.r3.model.SamplingParams;
import dev.r3.model.ScoreResult;
import dev.r3.model.Sequence;
import dev.r3.model.TensorNames;
import dev.r3.model.TurnOptions;
import dev.r3.model.rl.BehaviourWeight;
import dev.r3.model.rl.ObjectiveConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A pure-Java stand-in for the model in pipeline tests: a bigram softmax policy, logits(next |
 * prev) = row prev of a V x V table, trained with the clipped GRPO/GSPO surrogate by hand-written
 * gradients and Adam. The table lives in the embedding tensor of a tiny MoE-shaped {@link
 * ModelWeights} (so snapshots, checkpoints and the wire format are the real ones), and it invents a
 * routing record per sequence (expert ids from the token) so that R3's replay path and its
 * alignment check run for real. The behaviour weights (decoupled PPO, TIS, MIS) are the production
 * {@link BehaviourWeight}'s, under the objective the DJL trainer builds from the same settings.
 */
public final class BigramPolicy {
  public static final int EXPERTS = 4;
  public static final int TOP_K = 2;

  private BigramPolicy() {}

  public static ModelConfig config() {
    int v = EchoTask.VOCAB;
    return ModelConfig.builder(v)
        .hidden(v)
        .layers(1)
        .heads(1)
        .headDim(2)
        .experts(EXPERTS, TOP_K, 1)
        .maxPositions(64)
        .build();
  }

  /** Zero logits: the uniform policy. */
  public static ModelWeights initial() {
    ModelWeights w = ModelWeights.random(config(), 7);
    return withTable(w, new float[EchoTask.VOCAB * EchoTask.VOCAB]);
  }

  static ModelWeights withTable(ModelWeights base, float[] table) {
    Map<String, HostTensor> m = new LinkedHashMap<>(base.tensors());
    m.put(
        TensorNames.EMBED,
        new HostTensor(new int[] {EchoTask.VOCAB, EchoTask.VOCAB}, table.clone()));
    return new ModelWeights(base.config(), m);
  }

  static float[] table(ModelWeights w) {
    return w.get(TensorNames.EMBED).data().clone();
  }

  /** The routing an engine "chooses" for a token: two experts derived from the token id. */
  static RoutingRecord routing(int[] tokens, int positions) {
    int[] ids = new int[positions * TOP_K];
    for (int p = 0; p < positions; p++) {
      ids[p * TOP_K] = tokens[p] % EXPERTS;
      ids[p * TOP_K + 1] = (tokens[p] + 1) % EXPERTS;
    }
    return RoutingRecord.of(positions, 1, TOP_K, EXPERTS, ids);
  }

  /** log softmax(row / temperature)[token] */
  static double logProb(float[] table, int prev, int token, double temperature) {
    int v = EchoTask.VOCAB;
    double max = Double.NEGATIVE_INFINITY;
    for (int j = 0; j < v; j++) {
      max = Math.max(max, table[prev * v + j] / temperature);
    }
    double z = 0;
    for (int j = 0; j < v; j++) {
      z += Math.exp(table[prev * v + j] / temperature - max);
    }
    return table[prev * v + token] / temperature - max - Math.log(z);
  }

  // ---- rollout side ----

  public static Generator.Factory generators() {
    return weights -> new BigramGenerator(table(weights));
  }

  static final class BigramGenerator implements Generator {
    private final float[] table;

    BigramGenerator(float[] table) {
      this.table = table;
    }

    @Override
    public List<Generation> generate(List<int[]> prompts, SamplingParams params) {
      return generateTurn(prompts, params, TurnOptions.NONE);
    }

    @Override
    public List<Generation> generateTurn(
        List<int[]> prompts, SamplingParams params, TurnOptions turn) {
      List<Generation> out = new ArrayList<>();
      int v = EchoTask.VOCAB;
      for (int s = 0; s < prompts.size(); s++) {
        Sampler sampler = new Sampler(params, turn.streams() == null ? s : turn.streams()[s]);
        int[] prompt = prompts.get(s);
        List<Integer> toks = new ArrayList<>();
        for (int t : prompt) {
          toks.add(t);
        }
        List<Float> lps = new ArrayList<>();
        boolean eos = false;
        for (int n = 0; n < params.maxNewTokens(); n++) {
          int prev = toks.get(toks.size() - 1);
          float[] row = new float[v];
          System.arraycopy(table, prev * v, row, 0, v);
          Sampler.Draw d = sampler.sample(row, 0, v);
          toks.add(d.token());
          lps.add(d.logProb());
          if (d.token() == params.eosId()) {
            eos = true;
            break;
          }
          if (Arrays.stream(turn.stopIds()).anyMatch(x -> x == d.token())) {
            break;
          }
        }
        int[] tokens = toks.stream().mapToInt(Integer::intValue).toArray();
        float[] lp = new float[lps.size()];
        for (int i = 0; i < lp.length; i++) {
          lp[i] = lps.get(i);
        }
        out.add(new Generation(tokens, prompt.length, lp, routing(tokens, tokens.length - 1), eos));
      }
      return out;
    }
  }

  // ---- training side ----

  public static PolicyTrainer.Factory trainers() {
    return (init, config) -> new BigramTrainer(init, config);
  }

  static final class BigramTrainer implements PolicyTrainer {
    private static final double BETA1 = 0.9;
    private static final double BETA2 = 0.999;
    private final ModelWeights base;
    private final float[] table;
    private final double[] m;
    private final double[] s;
    private final double temperature;
    private final double lr;
    private final double maxGradNorm;
    private long steps;

    BigramTrainer(ModelWeights init, R3Config config) {
      this.base = init;
      this.table = table(init);
      this.m = new double[table.length];
      this.s = new double[table.length];
      this.temperature = config.rollout().temperature();
      this.lr = config.learner().lr();
      this.maxGradNorm = config.learner().maxGradNorm();
    }

    @Override
    public ScoreResult score(List<Sequence> seqs, RoutingMode mode, List<RoutingRecord> replay) {
      List<float[]> lps = new ArrayList<>();
      List<RoutingRecord> used = new ArrayList<>();
      for (int i = 0; i < seqs.size(); i++) {
        Sequence q = seqs.get(i);
        lps.add(logProbs(q));
        if (mode == RoutingMode.REPLAY) {
          replay.get(i).checkAligned(q.id(), q.length(), 1, TOP_K);
          used.add(replay.get(i));
        } else {
          used.add(routing(q.tokens(), q.length() - 1));
        }
      }
      return new ScoreResult(lps.toArray(float[][]::new), used);
    }

    private float[] logProbs(Sequence q) {
      int[] t = q.tokens();
      float[] lp = new float[t.length - 1];
      for (int i = 1; i < t.length; i++) {
        lp[i - 1] = (float) logProb(table, t[i - 1], t[i], temperature);
      }
      return lp;
    }

    @Override
    public MiniStepResult step(MiniBatch b) {
      if (b.mode() == RoutingMode.REPLAY) {
        for (int i = 0; i < b.sequences().size(); i++) {
          Sequence q = b.sequences().get(i);
          b.replay().get(i).checkAligned(q.id(), q.length(), 1, TOP_K);
        }
      }
      int v = EchoTask.VOCAB;
      double[] grad = new double[table.length];
      R3Config.Algorithm a = b.algorithm();
      ObjectiveConfig objective = DjlTrainer.objective(a);
      double loss = 0;
      long tokens = 0;
      long clipped = 0;
      List<float[]> detached = new ArrayList<>();
      for (int i = 0; i < b.sequences().size(); i++) {
        Sequence q = b.sequences().get(i);
        float[] lp = logProbs(q);
        detached.add(lp);
        float[] prox = b.proxLogProbs().get(i);
        float[] mu = b.behaviourLogProbs().get(i);
        double adv = b.advantages()[i];
        int from = q.promptLength() - 1;
        int n = lp.length - from;
        double[] coef = new double[lp.length];
        if (a.name() == R3Config.Algo.GSPO) {
          double mean = 0;
          double behaviour = 0;
          for (int t = from; t < lp.length; t++) {
            mean += lp[t] - prox[t];
            behaviour += prox[t] - mu[t];
          }
          // the production weight of the sequence: of the geometric mean of pi_old / mu
          float w = BehaviourWeight.onHost(new float[] {(float) (behaviour / n)}, objective)[0];
          double ratio = Math.exp(mean / n);
          double clippedRatio = Math.max(1 - a.clipLow(), Math.min(1 + a.clipHigh(), ratio));
          boolean unclipped = ratio * adv <= clippedRatio * adv;
          loss -= w * Math.min(ratio * adv, clippedRatio * adv);
          tokens++;
          if (!unclipped) {
            clipped++;
          } else {
            for (int t = from; t < lp.length; t++) {
              coef[t] = -w * adv * ratio / n;
            }
          }
        } else {
          float[] logRatio = new float[lp.length];
          for (int t = from; t < lp.length; t++) {
            logRatio[t] = prox[t] - mu[t];
          }
          // the production weight of each token (prompt positions are never trained)
          float[] w = BehaviourWeight.onHost(logRatio, objective);
          for (int t = from; t < lp.length; t++) {
            double ratio = Math.exp(lp[t] - prox[t]);
            double clippedRatio = Math.max(1 - a.clipLow(), Math.min(1 + a.clipHigh(), ratio));
            boolean unclipped = ratio * adv <= clippedRatio * adv;
            loss -= w[t] * Math.min(ratio * adv, clippedRatio * adv);
            tokens++;
            if (!unclipped) {
              clipped++;
            } else {
              coef[t] = -w[t] * adv * ratio;
            }
          }
        }
        // d lp(token | prev) / d logits[prev] = (onehot - softmax) / temperature
        int[] tok = q.tokens();
        for (int t = from; t < lp.length; t++) {
          if (coef[t] == 0) {
            continue;
          }
          int prev = tok[t];
          int next = tok[t + 1];
          for (int j = 0; j < v; j++) {
            double p = Math.exp(logProb(table, prev, j, temperature));
            grad[prev * v + j] += coef[t] * ((j == next ? 1 : 0) - p) / temperature;
          }
        }
      }
      double norm = 0;
      for (int j = 0; j < grad.length; j++) {
        grad[j] /= Math.max(1, tokens);
        norm += grad[j] * grad[j];
      }
      norm = Math.sqrt(norm);
      double scale = norm > maxGradNorm ? maxGradNorm / norm : 1;
      steps++;
      for (int j = 0; j < grad.length; j++) {
        double g = grad[j] * scale;
        m[j] = BETA1 * m[j] + (1 - BETA1) * g;
        s[j] = BETA2 * s[j] + (1 - BETA2) * g * g;
        double mh = m[j] / (1 - Math.pow(BETA1, steps));
        double sh = s[j] / (1 - Math.pow(BETA2, steps));
        table[j] -= (float) (lr * mh / (Math.sqrt(sh) + 1e-8));
      }
      return new MiniStepResult(
          (float) (loss / Math.max(1, tokens)),
          (float) norm,
          (float) clipped / Math.max(1, tokens),
          detached,
          java.util.Map.of(
              "losses/pg_loss", (float) (loss / Math.max(1, tokens)),
              "losses/clip_frac", (float) clipped / Math.max(1, tokens),
              "losses/tokens", (float) tokens));
    }

    @Override
    public ModelWeights weights() {
      return withTable(base, table);
    }
  }
}
