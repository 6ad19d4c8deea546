package dev.r3.actors.config;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The environment a checkpoint was trained on, as its metadata records it ({@code env} = the name,
 * {@code env_params} = its parameters as a JSON object of strings), and the choice of environment
 * for measuring a checkpoint: the command line's ({@code --env}, {@code --env-param}) over the
 * checkpoint's over the default.
 *
 * @param name the environment
 * @param params its parameters (empty = the environment's defaults)
 * @param source where they came from, in words (printed by the commands that use it)
 */
public record EnvMetadata(String name, Map<String, String> params, String source) {
  public static final String NAME_KEY = "env";
  public static final String PARAMS_KEY = "env_params";

  public EnvMetadata {
    params = Map.copyOf(params);
  }

  /** The metadata entries that record {@code env}. */
  public static Map<String, String> entries(R3Config.Env env) {
    JsonObject o = new JsonObject();
    new TreeMap<>(env.params()).forEach(o::addProperty);
    return Map.of(NAME_KEY, env.name(), PARAMS_KEY, new Gson().toJson(o));
  }

  /** {@code meta} with the entries of {@code env} added. */
  public static Map<String, String> with(Map<String, String> meta, R3Config.Env env) {
    Map<String, String> all = new LinkedHashMap<>(meta);
    all.putAll(entries(env));
    return all;
  }

  /**
   * The environment to measure a checkpoint on: {@code --env} (with {@code --env-param}, or the
   * environment's defaults), else the checkpoint's environment with {@code --env-param} or its
   * recorded parameters, else {@code fallback} with its defaults.
   *
   * @param meta the checkpoint's metadata, or null for no checkpoint
   */
  public static EnvMetadata choose(EnvChoice cli, Map<String, String> meta, String fallback) {
    String recorded = meta == null ? null : meta.get(NAME_KEY);
    if (cli.name() != null) {
      boolean own = cli.params() != null && !cli.params().isEmpty();
      return new EnvMetadata(
          cli.name(),
          own ? cli.params() : Map.of(),
          own ? "--env and --env-param" : "--env, its default parameters");
    }
    if (recorded == null || recorded.isBlank()) {
      String why = meta == null ? "" : " (the checkpoint records no environment)";
      return cli.params() != null
          ? new EnvMetadata(fallback, cli.params(), "the default and --env-param" + why)
          : new EnvMetadata(fallback, Map.of(), "the default, its default parameters" + why);
    }
    if (cli.params() != null) {
      return new EnvMetadata(recorded, cli.params(), "the checkpoint's metadata and --env-param");
    }
    if (!meta.containsKey(PARAMS_KEY)) {
      return new EnvMetadata(
          recorded,
          Map.of(),
          "the checkpoint's metadata, which records no parameters: the environment's defaults");
    }
    return new EnvMetadata(
        recorded, parseParams(meta.get(PARAMS_KEY)), "the checkpoint's metadata");
  }

  /** The parameters recorded under {@link #PARAMS_KEY}. */
  static Map<String, String> parseParams(String json) {
    Map<String, String> out = new TreeMap<>();
    try {
      JsonElement e = JsonParser.parseString(json);
      if (!e.isJsonObject()) {
        throw new IllegalArgumentException(
            "checkpoint metadata " + PARAMS_KEY + " must be a JSON object, got " + json);
      }
      for (var kv : e.getAsJsonObject().entrySet()) {
        if (!kv.getValue().isJsonPrimitive()) {
          throw new IllegalArgumentException(
              "checkpoint metadata "
                  + PARAMS_KEY
                  + "."
                  + kv.getKey()
                  + " must be a value, got "
                  + kv.getValue());
        }
        out.put(kv.getKey(), kv.getValue().getAsString());
      }
    } catch (JsonParseException ex) {
      throw new IllegalArgumentException(
          "checkpoint metadata " + PARAMS_KEY + " is not JSON: " + json, ex);
    }
    return out;
  }

  /** {@code add {digits=1, terms=3} (from the checkpoint's metadata)}. */
  public String describe() {
    return name + " " + new TreeMap<>(params) + " (from " + source + ")";
  }
}
