package dev.r3.model;

/** Hugging Face Qwen3 / Qwen3-MoE tensor names, in one place. */
public final class TensorNames {
  private TensorNames() {}

  public static final String EMBED = "model.embed_tokens.weight";
  public static final String FINAL_NORM = "model.norm.weight";
  public static final String LM_HEAD = "lm_head.weight";

  public static String layer(int i, String suffix) {
    return "model.layers." + i + "." + suffix;
  }

  public static String inputNorm(int i) {
    return layer(i, "input_layernorm.weight");
  }

  public static String postAttnNorm(int i) {
    return layer(i, "post_attention_layernorm.weight");
  }

  public static String qProj(int i) {
    return layer(i, "self_attn.q_proj.weight");
  }

  public static String kProj(int i) {
    return layer(i, "self_attn.k_proj.weight");
  }

  public static String vProj(int i) {
    return layer(i, "self_attn.v_proj.weight");
  }

  public static String oProj(int i) {
    return layer(i, "self_attn.o_proj.weight");
  }

  public static String qNorm(int i) {
    return layer(i, "self_attn.q_norm.weight");
  }

  public static String kNorm(int i) {
    return layer(i, "self_attn.k_norm.weight");
  }

  /** MoE router: a linear map hidden -> experts, weight shape (E, H). */
  public static String router(int i) {
    return layer(i, "mlp.gate.weight");
  }

  /**
   * One expert's SwiGLU projection: {@code gate_proj}, {@code up_proj} (I, H) or {@code down_proj}
   * (H, I).
   */
  public static String expert(int i, int j, String proj) {
    return layer(i, "mlp.experts." + j + "." + proj + ".weight");
  }

  /** Dense twin's MLP projection: {@code gate_proj}, {@code up_proj} or {@code down_proj}. */
  public static String denseMlp(int i, String proj) {
    return layer(i, "mlp." + proj + ".weight");
  }
}
