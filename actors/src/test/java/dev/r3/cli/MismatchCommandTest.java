package dev.r3.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.r3.actors.config.EnvMetadata;
import dev.r3.actors.config.R3Config;
import dev.r3.actors.djl.ModelSizes;
import dev.r3.env.CharTokenizer;
import dev.r3.model.ModelWeights;
import dev.r3.model.io.Checkpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./r3 mismatch --checkpoint}: measured on the environment the checkpoint was trained on.
 */
class MismatchCommandTest {

  @TempDir static Path tmp;
  static Path checkpoint;

  /** A tiny model trained (here: initialised) on 1-digit, 3-term sums, as its metadata says. */
  @BeforeAll
  static void checkpointOnOneDigitThreeTermSums() throws Exception {
    CharTokenizer tok = CharTokenizer.standard();
    checkpoint = tmp.resolve("ckpt");
    Checkpoint.save(
        checkpoint,
        ModelWeights.random(ModelSizes.of("tiny", tok.vocabSize()), 5),
        EnvMetadata.with(
            Map.of("step", "120"), new R3Config.Env("add", Map.of("digits", "1", "terms", "3"))));
    tok.save(checkpoint);
  }

  private static JsonObject measure(String json, String... extra) throws Exception {
    String[] base = {
      "mismatch",
      "--checkpoint",
      checkpoint.toString(),
      "--responses",
      "4",
      "--max-new-tokens",
      "2",
      "--json",
      tmp.resolve(json).toString()
    };
    String[] args = new String[base.length + extra.length];
    System.arraycopy(base, 0, args, 0, base.length);
    System.arraycopy(extra, 0, args, base.length, extra.length);
    CliRun r = CliRun.of(args);
    assertThat(r.code()).as(r.err()).isZero();
    lastErr = r.err();
    return JsonParser.parseString(Files.readString(tmp.resolve(json)))
        .getAsJsonObject()
        .getAsJsonObject("config");
  }

  private static String lastErr;

  @Test
  void checkpoint_isMeasuredOnItsRecordedEnvironmentAndParams_andSaysSo() throws Exception {
    JsonObject c = measure("recorded.json");
    assertThat(c.get("env").getAsString()).isEqualTo("add");
    assertThat(c.getAsJsonObject("env_params").get("digits").getAsString()).isEqualTo("1");
    assertThat(c.getAsJsonObject("env_params").get("terms").getAsString()).isEqualTo("3");
    assertThat(lastErr)
        .contains("mismatch: environment add {digits=1, terms=3} (from the checkpoint's metadata)");
  }

  @Test
  void envParamOption_overridesTheRecordedParams() throws Exception {
    JsonObject c = measure("override.json", "--env-param", "digits=2");
    assertThat(c.get("env").getAsString()).isEqualTo("add");
    assertThat(c.getAsJsonObject("env_params").entrySet()).hasSize(1);
    assertThat(c.getAsJsonObject("env_params").get("digits").getAsString()).isEqualTo("2");
    assertThat(lastErr).contains("mismatch: environment add {digits=2}").contains("--env-param");
  }

  @Test
  void envOption_switchesEnvironment_withItsDefaults() throws Exception {
    JsonObject c = measure("sort.json", "--env", "sort");
    assertThat(c.get("env").getAsString()).isEqualTo("sort");
    assertThat(c.getAsJsonObject("env_params").entrySet()).isEmpty();
    assertThat(c.get("env_source").getAsString()).isEqualTo("--env, its default parameters");
  }
}
