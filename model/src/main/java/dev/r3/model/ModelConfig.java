package dev.r3.model;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

/**
 * Shape of a Qwen3-MoE-style decoder (or its dense twin), with the Hugging Face {@code config.json}
 * keys, so that the same code could read a real Qwen3-MoE checkpoint's configuration.
 *
 * <p>A model is dense when {@code numExperts == 0}: its feed-forward block is one SwiGLU MLP of
 * width {@code intermediateSize}. Otherwise every layer is an MoE block with {@code numExperts}
 * SwiGLU experts of width {@code moeIntermediateSize}, {@code topK} of which are active per token.
 */
public record ModelConfig(
    int vocabSize,
    int hiddenSize,
    int numLayers,
    int numHeads,
    int numKvHeads, // grouped-query attention: numHeads % numKvHeads == 0
    int headDim,
    int numExperts, // 0 = dense twin
    int topK,
    int moeIntermediateSize, // width of one expert
    int intermediateSize, // width of the dense MLP (dense twin only)
    boolean normTopkProb, // renormalise the top-k gates to sum 1 (Qwen3-MoE: true)
    float rmsNormEps,
    float ropeTheta,
    int maxPositions,
    float initStd) {

  public static final int DEFAULT_HIDDEN = 128;

  public ModelConfig {
    require(vocabSize > 0, "vocab_size must be > 0, got " + vocabSize);
    require(hiddenSize > 0, "hidden_size must be > 0, got " + hiddenSize);
    require(numLayers > 0, "num_hidden_layers must be > 0, got " + numLayers);
    require(numHeads > 0, "num_attention_heads must be > 0, got " + numHeads);
    require(
        numKvHeads > 0 && numHeads % numKvHeads == 0,
        "num_key_value_heads must divide num_attention_heads ("
            + numHeads
            + "), got "
            + numKvHeads);
    require(
        headDim > 0 && headDim % 2 == 0, "head_dim must be even and > 0 (RoPE), got " + headDim);
    require(numExperts >= 0, "num_experts must be >= 0, got " + numExperts);
    if (numExperts > 0) {
      require(
          topK > 0 && topK <= numExperts,
          "num_experts_per_tok must be in [1, num_experts=" + numExperts + "], got " + topK);
      require(
          moeIntermediateSize > 0, "moe_intermediate_size must be > 0, got " + moeIntermediateSize);
    } else {
      require(
          intermediateSize > 0,
          "intermediate_size must be > 0 for a dense model, got " + intermediateSize);
    }
    require(maxPositions > 0, "max_position_embeddings must be > 0, got " + maxPositions);
    require(rmsNormEps > 0, "rms_norm_eps must be > 0");
    require(initStd > 0, "initializer_range must be > 0");
  }

  /**
   * The default model that trains on two CPU cores: hidden 128, 4 layers, 4 heads, 16 experts,
   * top-4, expert width 128 (about 1M active and 3.5M total parameters with a character
   * vocabulary).
   */
  public static ModelConfig defaultMoe(int vocabSize) {
    return builder(vocabSize).build();
  }

  /**
   * A builder that starts from {@link #defaultMoe} and Qwen3-MoE's constants (top-k gates
   * renormalised, RMSNorm eps 1e-6, RoPE theta 10000, 256 positions, init std 0.02); the KV heads
   * default to the heads and the head width to hidden / heads.
   */
  public static Builder builder(int vocabSize) {
    return new Builder(vocabSize);
  }

  /** A builder holding every value of this config. */
  public Builder toBuilder() {
    return new Builder(vocabSize)
        .hidden(hiddenSize)
        .layers(numLayers)
        .heads(numHeads)
        .kvHeads(numKvHeads)
        .headDim(headDim)
        .experts(numExperts, topK, moeIntermediateSize)
        .denseWidth(intermediateSize)
        .normTopkProb(normTopkProb)
        .rmsNormEps(rmsNormEps)
        .ropeTheta(ropeTheta)
        .maxPositions(maxPositions)
        .initStd(initStd);
  }

  /** True when every layer is an MoE block. */
  public boolean isMoe() {
    return numExperts > 0;
  }

  /**
   * The dense twin: same attention, embeddings and depth; one SwiGLU MLP whose width equals the
   * active expert width ({@code topK * moeIntermediateSize}) so that active parameters match.
   */
  public ModelConfig denseTwin() {
    if (!isMoe()) {
      return this;
    }
    return toBuilder().experts(0, 0, 0).denseWidth(topK * moeIntermediateSize).build();
  }

  public ModelConfig withVocabSize(int v) {
    Builder b = toBuilder();
    b.vocabSize = v;
    return b.build();
  }

  public ModelConfig withMoe(int layers, int experts, int k) {
    return toBuilder().layers(layers).experts(experts, k, moeIntermediateSize).build();
  }

  /**
   * Builds a {@link ModelConfig} by name instead of by position; {@link #build} checks it as the
   * constructor does.
   */
  public static final class Builder {
    private int vocabSize;
    private int hiddenSize = DEFAULT_HIDDEN;
    private int numLayers = 4;
    private int numHeads = 4;
    private Integer numKvHeads; // null: numHeads
    private Integer headDim; // null: hiddenSize / numHeads
    private int numExperts = 16;
    private int topK = 4;
    private int moeIntermediateSize = 128;
    private int intermediateSize = 0;
    private boolean normTopkProb = true;
    private float rmsNormEps = 1e-6f;
    private float ropeTheta = 10000f;
    private int maxPositions = 256;
    private float initStd = 0.02f;

    private Builder(int vocabSize) {
      this.vocabSize = vocabSize;
    }

    public Builder hidden(int v) {
      hiddenSize = v;
      return this;
    }

    public Builder layers(int v) {
      numLayers = v;
      return this;
    }

    public Builder heads(int v) {
      numHeads = v;
      return this;
    }

    /** Grouped-query attention: must divide the heads. */
    public Builder kvHeads(int v) {
      numKvHeads = v;
      return this;
    }

    public Builder headDim(int v) {
      headDim = v;
      return this;
    }

    /** MoE layers of {@code experts} SwiGLU experts of width {@code width}, top-{@code k}. */
    public Builder experts(int experts, int k, int width) {
      numExperts = experts;
      topK = k;
      moeIntermediateSize = width;
      return this;
    }

    /** A dense model (no experts) with one SwiGLU MLP of width {@code width}. */
    public Builder dense(int width) {
      return experts(0, 0, 0).denseWidth(width);
    }

    /** {@code intermediate_size}: the dense MLP's width (used only when there are no experts). */
    public Builder denseWidth(int v) {
      intermediateSize = v;
      return this;
    }

    public Builder normTopkProb(boolean v) {
      normTopkProb = v;
      return this;
    }

    public Builder rmsNormEps(float v) {
      rmsNormEps = v;
      return this;
    }

    public Builder ropeTheta(float v) {
      ropeTheta = v;
      return this;
    }

    public Builder maxPositions(int v) {
      maxPositions = v;
      return this;
    }

    /** {@code initializer_range}: the std of random initial weights. */
    public Builder initStd(float v) {
      initStd = v;
      return this;
    }

    /**
     * @throws IllegalArgumentException naming the first value out of range
     */
    public ModelConfig build() {
      require(numHeads > 0, "num_attention_heads must be > 0, got " + numHeads);
      return new ModelConfig(
          vocabSize,
          hiddenSize,
          numLayers,
          numHeads,
          numKvHeads == null ? numHeads : numKvHeads,
          headDim == null ? hiddenSize / numHeads : headDim,
          numExperts,
          topK,
          moeIntermediateSize,
          intermediateSize,
          normTopkProb,
          rmsNormEps,
          ropeTheta,
          maxPositions,
          initStd);
    }
  }

  /** Parameters used per token (embedding and head included). */
  public long activeParameters() {
    return parameterCount(true);
  }

  /** All parameters (embedding and head included). */
  public long totalParameters() {
    return parameterCount(false);
  }

  private long parameterCount(boolean activeOnly) {
    long h = hiddenSize;
    long attn = h * numHeads * headDim * 2L + h * numKvHeads * headDim * 2L + 2L * headDim;
    long ffn;
    if (isMoe()) {
      long expert = 3L * h * moeIntermediateSize;
      ffn = h * numExperts + (activeOnly ? topK : numExperts) * expert;
    } else {
      ffn = 3L * h * intermediateSize;
    }
    long perLayer = attn + ffn + 2L * h;
    return numLayers * perLayer + 2L * vocabSize * h + h;
  }

  // ---- config.json with Hugging Face keys ----

  private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

  /** Hugging Face style {@code config.json} text. */
  public String toJson() {
    JsonObject o = new JsonObject();
    o.add(
        "architectures",
        JsonParser.parseString(isMoe() ? "[\"Qwen3MoeForCausalLM\"]" : "[\"Qwen3ForCausalLM\"]"));
    o.addProperty("model_type", isMoe() ? "qwen3_moe" : "qwen3");
    o.addProperty("vocab_size", vocabSize);
    o.addProperty("hidden_size", hiddenSize);
    o.addProperty("num_hidden_layers", numLayers);
    o.addProperty("num_attention_heads", numHeads);
    o.addProperty("num_key_value_heads", numKvHeads);
    o.addProperty("head_dim", headDim);
    o.addProperty("num_experts", numExperts);
    o.addProperty("num_experts_per_tok", topK);
    o.addProperty("moe_intermediate_size", moeIntermediateSize);
    o.addProperty("intermediate_size", intermediateSize);
    o.addProperty("norm_topk_prob", normTopkProb);
    o.addProperty("decoder_sparse_step", 1);
    o.addProperty("rms_norm_eps", rmsNormEps);
    o.addProperty("rope_theta", ropeTheta);
    o.addProperty("max_position_embeddings", maxPositions);
    o.addProperty("initializer_range", initStd);
    o.addProperty("tie_word_embeddings", false);
    o.addProperty("hidden_act", "silu");
    o.addProperty("torch_dtype", "float32");
    return GSON.toJson(o);
  }

  /**
   * Reads a Hugging Face style {@code config.json}; a missing required key is an error naming it.
   */
  public static ModelConfig fromJson(String json) {
    JsonObject o;
    try {
      o = JsonParser.parseString(json).getAsJsonObject();
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("config.json is not a JSON object: " + e.getMessage(), e);
    }
    int heads = intKey(o, "num_attention_heads", null);
    int hidden = intKey(o, "hidden_size", null);
    return builder(intKey(o, "vocab_size", null))
        .hidden(hidden)
        .layers(intKey(o, "num_hidden_layers", null))
        .heads(heads)
        .kvHeads(intKey(o, "num_key_value_heads", heads))
        .headDim(intKey(o, "head_dim", hidden / heads))
        .experts(
            intKey(o, "num_experts", 0),
            intKey(o, "num_experts_per_tok", 0),
            intKey(o, "moe_intermediate_size", 0))
        .denseWidth(intKey(o, "intermediate_size", 0))
        .normTopkProb(o.has("norm_topk_prob") ? o.get("norm_topk_prob").getAsBoolean() : true)
        .rmsNormEps(floatKey(o, "rms_norm_eps", 1e-6f))
        .ropeTheta(floatKey(o, "rope_theta", 10000f))
        .maxPositions(intKey(o, "max_position_embeddings", 256))
        .initStd(floatKey(o, "initializer_range", 0.02f))
        .build();
  }

  private static int intKey(JsonObject o, String key, Integer dflt) {
    JsonElement e = o.get(key);
    if (e == null || e.isJsonNull()) {
      if (dflt == null) {
        throw new IllegalArgumentException("config.json lacks required key '" + key + "'");
      }
      return dflt;
    }
    try {
      return e.getAsInt();
    } catch (RuntimeException ex) {
      throw new IllegalArgumentException("config.json key '" + key + "' is not an integer: " + e);
    }
  }

  private static float floatKey(JsonObject o, String key, float dflt) {
    JsonElement e = o.get(key);
    if (e == null || e.isJsonNull()) {
      return dflt;
    }
    try {
      return e.getAsFloat();
    } catch (RuntimeException ex) {
      throw new IllegalArgumentException("config.json key '" + key + "' is not a number: " + e);
    }
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }
}
