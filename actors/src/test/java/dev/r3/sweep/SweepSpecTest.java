package dev.r3.sweep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.r3.model.RolloutPrecision;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SweepSpecTest {

  static final String DEFAULTS =
      "defaults { layers = 2, experts = 4, top-k = 2, precision = bf16, max-new-tokens = 4, warmup-steps = 0, init = 0.02 }\n";

  static String sweep(String body) {
    return "sweep {\n name = t\n" + DEFAULTS + body + "\n}\n";
  }

  @Test
  void slicesShareCellsAndKeepTheirOrder() {
    SweepSpec s =
        SweepSpec.parse(
            sweep(
                """
        axes { layers = [1, 2, 4], experts = [4, 8], precision = [bf16, fp8] }
        slices = [
          { name = depth, vary = [layers] }
          { name = depth-x-experts, vary = [layers, experts] }
          { name = fp8-depth, vary = [layers], set { precision = fp8 } }
        ]
        """));
    List<SweepSpec.Cell> cells = s.cells();
    // depth: 3; depth-x-experts: 6 of which 3 are depth's; fp8-depth: 3 new.
    assertThat(cells).hasSize(9);
    assertThat(cells.get(0).point().layers()).isEqualTo(1);
    SweepSpec.Cell shared =
        cells.stream()
            .filter(
                c ->
                    c.point().layers() == 2
                        && c.point().experts() == 4
                        && c.point().precision() == RolloutPrecision.BF16)
            .findFirst()
            .orElseThrow();
    assertThat(shared.slices()).containsExactly("depth", "depth-x-experts");
    Set<String> keys = new HashSet<>();
    cells.forEach(c -> assertThat(keys.add(c.point().key())).isTrue());
    assertThat(SweepReport.heatmaps(s))
        .extracting(SweepReport.Heatmap::file)
        .containsExactly(
            "heatmap-depth-layers.png",
            "heatmap-depth-x-experts-layers-experts.png",
            "heatmap-fp8-depth-layers.png");
  }

  @Test
  void productGridIsEveryCombination() {
    SweepSpec s =
        SweepSpec.parse(
            sweep(
                """
        grid = product
        axes { layers = [1, 2], top-k = [1, 2], init = [0.02, torch], precision = fp8 }
        """));
    assertThat(s.cells()).hasSize(8);
    assertThat(s.cells()).allMatch(c -> c.point().precision() == RolloutPrecision.FP8_WEIGHTS);
    assertThat(s.cells()).anyMatch(c -> c.point().init().torch());
    assertThat(SweepReport.heatmaps(s)).hasSize(3);
  }

  @Test
  void valuesOverrideTheAxisListForOneSlice() {
    SweepSpec s =
        SweepSpec.parse(
            sweep(
                """
        axes { layers = [1, 2, 4] }
        slices = [ { name = a, vary = [layers], values { layers = [8] } } ]
        """));
    assertThat(s.cells()).extracting(c -> c.point().layers()).containsExactly(8);
  }

  @Test
  void theShippedSweepFilesParse() {
    for (String f :
        List.of("quick.conf", "full.conf", "init-probe.conf", "tail.conf", "tail-seed2.conf")) {
      Path p = repoRoot().resolve("config/sweeps").resolve(f);
      SweepSpec s = SweepSpec.load(p);
      assertThat(s.cells()).as(f).isNotEmpty();
      assertThat(SweepReport.heatmaps(s)).as(f).isNotEmpty();
    }
  }

  static Path repoRoot() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.isDirectory(p.resolve("config/sweeps"))) {
      p = p.getParent();
    }
    if (p == null) {
      throw new IllegalStateException(
          "config/sweeps not found above " + Path.of("").toAbsolutePath());
    }
    return p;
  }

  @Test
  void errorsNameTheKey() {
    assertError("sweep { }", "sweep.name");
    assertError("other { name = x }", "sweep");
    assertError(sweep("slices = [ { name = a, vary = [layerz] } ]"), "sweep.slices[0] (a).vary");
    assertError(
        sweep("axes { layers = [] }\nslices = [ { name = a, vary = [layers] } ]"),
        "sweep.axes.layers");
    assertError(
        sweep("axes { top-k = [1, 8] }\nslices = [ { name = a, vary = [top-k] } ]"),
        "top-k=8 exceeds experts=4");
    assertError(
        sweep("axes { precision = [bf16, bf8] }\nslices = [ { name = a, vary = [precision] } ]"),
        "sweep.axes.precision[1]");
    assertError(
        sweep("axes { warmup-steps = [0, -1] }\nslices = [ { name = a, vary = [warmup-steps] } ]"),
        "sweep.axes.warmup-steps[1]");
    assertError(
        sweep("axes { layers = [1, 1] }\nslices = [ { name = a, vary = [layers] } ]"),
        "sweep.axes.layers[1]: duplicate");
    assertError(
        sweep("axes { init = [0.02, huge] }\nslices = [ { name = a, vary = [init] } ]"),
        "sweep.axes.init[1]");
    assertError(sweep("slices = [ { name = a, vary = [layers] } ]"), "has no values");
    assertError(
        sweep(
            "axes { layers = [1] }\nslices = [ { name = a, vary = [layers] }, { name = a, vary = [layers] } ]"),
        "sweep.slices[1].name");
    assertError(
        sweep(
            "axes { layers = [1] }\nslices = [ { name = a, vary = [layers], set { layers = 2 } } ]"),
        "sweep.slices[0] (a).set.layers");
    assertError(sweep("grid = diagonal"), "sweep.grid");
    assertError(sweep("grid = slices"), "sweep.slices");
    assertError(
        sweep("respones = 3\nslices = []"),
        "unknown key sweep.respones; did you mean sweep.responses?");
    assertError(sweep("responses = 0"), "sweep.responses");
    assertError(sweep("temperature = 0"), "sweep.temperature");
    assertError(sweep("model { hidden = 8 }"), "sweep.model.hidden");
    assertError(sweep("model { heads = 4, kv-heads = 3 }"), "sweep.model.kv-heads");
    assertError(sweep("warm-up { lr = -1 }"), "sweep.warm-up.lr");
    assertError("sweep { name = t\n defaults { layers = 2, depth = 3 } }", "sweep.defaults.depth");
    assertError(
        sweep(
            "axes { max-new-tokens = [300] }\nslices = [ { name = a, vary = [max-new-tokens] } ]"),
        "max-positions");
  }

  @Test
  void unknownKey_namesFileLineAndClosestKey(@TempDir Path tmp) throws Exception {
    Path f = tmp.resolve("s.conf");
    Files.writeString(f, "sweep {\n  name = t\n  warm-up {\n    corpus = 10\n  }\n}\n");
    assertThatThrownBy(() -> SweepSpec.load(f))
        .hasMessageContaining(f + " line 4: unknown key sweep.warm-up.corpus")
        .hasMessageContaining("did you mean sweep.warm-up.corpus-size?");
  }

  @Test
  void snakeCaseKeys_areRefusedWithTheirKebabCaseName() {
    assertError(sweep("batch_size = 4"), "did you mean sweep.batch-size?");
    assertError(
        sweep("axes { top_k = [1, 2] }\nslices = [ { name = a, vary = [top-k] } ]"),
        "unknown axis 'top_k'; did you mean top-k?");
    assertError(
        sweep("axes { layers = [1] }\nslices = [ { name = a, vary = [layers], valuse { } } ]"),
        "unknown key sweep.slices[0].valuse; did you mean sweep.slices[0].values?");
  }

  @Test
  void missingSettings_takeReferenceConfDefaults() {
    SweepSpec s =
        SweepSpec.parse(
            "sweep { name = t, axes { layers = [2] }, slices = [ { name = a, vary = [layers] } ] }");
    assertThat(s.responses()).isEqualTo(256);
    assertThat(s.defaults().experts()).isEqualTo(16);
    assertThat(s.defaults().topK()).isEqualTo(4);
    assertThat(s.model().hiddenSize()).isEqualTo(128);
    assertThat(s.warmUp().cacheDir()).isEqualTo(".cache/sweep-warm");
  }

  private static void assertError(String hocon, String fragment) {
    assertThatThrownBy(() -> SweepSpec.parse(hocon))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(fragment);
  }

  @Test
  void missingFileIsAClearError() {
    assertThatThrownBy(() -> SweepSpec.load(Path.of("no/such/sweep.conf")))
        .hasMessageContaining("no/such/sweep.conf does not exist");
  }

  @Test
  void initParsesNumbersAndTorch() {
    assertThat(Init.parse("0.05").label()).isEqualTo("0.05");
    assertThat(Init.parse("torch").torch()).isTrue();
    assertThat(Init.parse("0.1").std()).isEqualTo(0.1);
    assertThatThrownBy(() -> Init.parse("-1")).hasMessageContaining("positive");
  }
}
