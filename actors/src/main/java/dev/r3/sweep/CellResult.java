package dev.r3.sweep;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.typesafe.config.ConfigValueFactory;
import dev.r3.model.MismatchMeasures;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * What one sweep cell measured: the MoE model recomputing its routing, the same model replaying the
 * rollout's routing (R3), and the dense twin warmed up the same way, all on the same prompts.
 *
 * @param point the cell
 * @param slices the slices it belongs to
 * @param moe MoE, trainer recomputes routing
 * @param r3 MoE, trainer replays the rollout's routing
 * @param dense the dense twin (recompute; nothing routed)
 * @param warmNllMoe mean next-token NLL of the MoE model on held-out SFT examples (completion
 *     tokens)
 * @param warmNllDense the same for the dense twin
 * @param seconds wall time of this cell (measurements; warm-up excluded when cached)
 */
record CellResult(
    Point point,
    List<String> slices,
    Figures moe,
    Figures r3,
    Figures dense,
    double warmNllMoe,
    double warmNllDense,
    double seconds) {

  /** R3 / recompute mismatch KL: below 1, replay helps; the heatmaps' color. */
  public double ratioR3() {
    return r3.kl() / moe.kl();
  }

  /** MoE (recompute) / dense mismatch KL: how much routing adds to the mismatch. */
  public double ratioMoeDense() {
    return moe.kl() / dense.kl();
  }

  /** MoE+R3 / dense mismatch KL. */
  public double ratioR3Dense() {
    return r3.kl() / dense.kl();
  }

  /** The measures of one scoring pass. */
  public record Figures(
      double kl,
      double f1_5,
      double f2,
      double f5,
      double routerDisagreement,
      double[] perLayer,
      double tokenAnyLayer,
      long tokens) {
    public static Figures of(MismatchMeasures.Summary s, boolean routed) {
      return new Figures(
          s.kl(),
          s.extreme1_5(),
          s.extreme2(),
          s.extreme5(),
          routed ? s.routerDisagreement() : Double.NaN,
          routed ? s.perLayer() : new double[0],
          routed ? s.tokenAnyLayer() : Double.NaN,
          s.tokens());
    }

    JsonObject toJson() {
      JsonObject o = new JsonObject();
      o.addProperty("kl", kl);
      o.addProperty("extreme_1_5", f1_5);
      o.addProperty("extreme_2", f2);
      o.addProperty("extreme_5", f5);
      if (!Double.isNaN(routerDisagreement)) {
        o.addProperty("router_disagreement", routerDisagreement);
        o.addProperty("token_any_layer", tokenAnyLayer);
        JsonArray a = new JsonArray();
        for (double v : perLayer) {
          a.add(v);
        }
        o.add("router_disagreement_per_layer", a);
      }
      o.addProperty("tokens", tokens);
      return o;
    }

    static Figures fromJson(JsonObject o) {
      double[] per = new double[0];
      if (o.has("router_disagreement_per_layer")) {
        JsonArray a = o.getAsJsonArray("router_disagreement_per_layer");
        per = new double[a.size()];
        for (int i = 0; i < per.length; i++) {
          per[i] = a.get(i).getAsDouble();
        }
      }
      return new Figures(
          o.get("kl").getAsDouble(),
          o.get("extreme_1_5").getAsDouble(),
          o.get("extreme_2").getAsDouble(),
          o.get("extreme_5").getAsDouble(),
          o.has("router_disagreement") ? o.get("router_disagreement").getAsDouble() : Double.NaN,
          per,
          o.has("token_any_layer") ? o.get("token_any_layer").getAsDouble() : Double.NaN,
          o.get("tokens").getAsLong());
    }
  }

  /** The cell as a sweep.json entry. */
  public JsonObject toJson() {
    JsonObject o = new JsonObject();
    o.addProperty("key", point.key());
    JsonArray s = new JsonArray();
    slices.forEach(s::add);
    o.add("slices", s);
    for (Map.Entry<Axis, Object> e : point.asMap().entrySet()) {
      Object v = e.getValue();
      if (v instanceof Integer i) {
        o.addProperty(e.getKey().key(), i);
      } else {
        o.addProperty(e.getKey().key(), e.getKey().format(v));
      }
    }
    o.add("moe", moe.toJson());
    o.add("moe_r3", r3.toJson());
    o.add("dense", dense.toJson());
    o.addProperty("kl_ratio_r3_recompute", ratioR3());
    o.addProperty("kl_ratio_moe_dense", ratioMoeDense());
    o.addProperty("kl_ratio_r3_dense", ratioR3Dense());
    o.addProperty("warm_nll_moe", warmNllMoe);
    o.addProperty("warm_nll_dense", warmNllDense);
    o.addProperty("seconds", seconds);
    return o;
  }

  /** Reads a sweep.json entry. */
  public static CellResult fromJson(JsonObject o) {
    Map<Axis, Object> m = new EnumMap<>(Axis.class);
    for (Axis a : Axis.values()) {
      JsonElement e = o.get(a.key());
      if (e == null) {
        throw new IllegalArgumentException("sweep.json cell lacks '" + a.key() + "'");
      }
      m.put(
          a,
          a.parse(
              ConfigValueFactory.fromAnyRef(
                  e.getAsJsonPrimitive().isNumber() && a != Axis.INIT
                      ? (Object) e.getAsInt()
                      : e.getAsString()),
              "sweep.json " + a.key()));
    }
    List<String> slices = new ArrayList<>();
    if (o.has("slices")) {
      o.getAsJsonArray("slices").forEach(x -> slices.add(x.getAsString()));
    }
    return new CellResult(
        Point.of(m),
        slices,
        Figures.fromJson(o.getAsJsonObject("moe")),
        Figures.fromJson(o.getAsJsonObject("moe_r3")),
        Figures.fromJson(o.getAsJsonObject("dense")),
        dbl(o, "warm_nll_moe"),
        dbl(o, "warm_nll_dense"),
        dbl(o, "seconds"));
  }

  private static double dbl(JsonObject o, String k) {
    return o.has(k) && !o.get(k).isJsonNull() ? o.get(k).getAsDouble() : Double.NaN;
  }

  /** This result listed under other slices (the current grid's). */
  public CellResult withSlices(List<String> s) {
    return new CellResult(point, List.copyOf(s), moe, r3, dense, warmNllMoe, warmNllDense, seconds);
  }
}
