package dev.r3.sweep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 2-cell sweep of a tiny model (hidden 16, 2 layers, 4 experts top-2, 4 responses of 3 tokens).
 */
class SweepRunnerTest {

  static String tiny(int responses) {
    return """
        sweep {
          name = tiny
          env = add
          seed = 3
          responses = %d
          batch-size = 4
          model { hidden-size = 16, heads = 2, kv-heads = 2, head-dim = 8, expert-size = 16, max-positions = 64 }
          warm-up { batch-size = 4, corpus-size = 32, lr = 3e-3, cache-dir = "" }
          defaults { layers = 2, experts = 4, top-k = 2, precision = bf16, max-new-tokens = 3, warmup-steps = 0, init = 0.02 }
          grid = slices
          slices = [ { name = warm-x-fp8, vary = [warmup-steps, precision], values { warmup-steps = [0, 2], precision = [fp8] } } ]
        }
        """
        .formatted(responses);
  }

  @Test
  void writesJsonMarkdownAndHeatmapThenResumes(@TempDir Path out) throws Exception {
    SweepSpec spec = SweepSpec.parse(tiny(4));
    assertThat(spec.cells()).hasSize(2);
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    SweepRunner.Summary s =
        new SweepRunner(spec, out, new PrintStream(log, true, StandardCharsets.UTF_8)).run();
    assertThat(s.measured()).isEqualTo(2);
    assertThat(s.resumed()).isZero();
    assertThat(log.toString(StandardCharsets.UTF_8)).contains("[1/2]", "[2/2]", "warm-up steps");

    JsonObject root =
        JsonParser.parseString(Files.readString(out.resolve("sweep.json"))).getAsJsonObject();
    assertThat(root.getAsJsonArray("cells")).hasSize(2);
    JsonObject cell = root.getAsJsonArray("cells").get(1).getAsJsonObject();
    assertThat(cell.get("warmup_steps").getAsInt()).isEqualTo(2);
    assertThat(cell.get("precision").getAsString()).isEqualTo("fp8");
    assertThat(cell.getAsJsonObject("moe").getAsJsonArray("router_disagreement_per_layer"))
        .hasSize(2);
    assertThat(cell.getAsJsonObject("moe_r3").get("router_disagreement").getAsDouble()).isZero();
    assertThat(cell.getAsJsonObject("dense").has("router_disagreement")).isFalse();
    assertThat(cell.getAsJsonObject("moe").get("tokens").getAsLong()).isPositive();
    assertThat(cell.has("kl_ratio_r3_recompute")).isTrue();
    for (String k : new String[] {"moe", "moe_r3", "dense"}) {
      assertThat(cell.getAsJsonObject(k).get("kl").getAsDouble()).as(k).isGreaterThanOrEqualTo(0);
    }
    for (CellResult r : s.results()) {
      assertThat(r.warmNllMoe()).isFinite().isPositive();
    }

    String md = Files.readString(out.resolve("sweep.md"));
    assertThat(md)
        .contains(
            "# Mismatch sweep `tiny`",
            "## Slice `warm-x-fp8`",
            "## Every cell",
            "R3/rec",
            "heatmap-warm-x-fp8-warmup_steps-precision.png");
    Path png = out.resolve("heatmap-warm-x-fp8-warmup_steps-precision.png");
    BufferedImage img = ImageIO.read(png.toFile());
    assertThat(img).isNotNull();
    assertThat(img.getWidth()).isGreaterThan(100);
    assertThat(Files.size(png)).isLessThan(200_000);

    // Resume: nothing left to measure; the files are rewritten from sweep.json.
    ByteArrayOutputStream log2 = new ByteArrayOutputStream();
    SweepRunner.Summary again =
        new SweepRunner(spec, out, new PrintStream(log2, true, StandardCharsets.UTF_8)).run();
    assertThat(again.measured()).isZero();
    assertThat(again.resumed()).isEqualTo(2);
    assertThat(log2.toString(StandardCharsets.UTF_8)).doesNotContain("[1/");
    for (int i = 0; i < 2; i++) {
      assertThat(again.results().get(i).moe().kl()).isEqualTo(s.results().get(i).moe().kl());
      assertThat(again.results().get(i).point()).isEqualTo(s.results().get(i).point());
    }

    // Other fixed settings in the same folder: refused before measuring anything.
    assertThatThrownBy(
            () ->
                new SweepRunner(
                        SweepSpec.parse(tiny(5)), out, new PrintStream(new ByteArrayOutputStream()))
                    .run())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("other fixed settings");
  }
}
