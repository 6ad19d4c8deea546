package dev.r3.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.r3.cli.R3;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./r3 compare --report-only} through the real command line, on runs written by hand. */
class CompareCliTest {
  @TempDir Path tmp;

  @Test
  void reportOnly_regeneratesFromRunsOnDisk_andExitsOneWhenARunIsMissing() throws Exception {
    Fixtures.write(
        tmp.resolve("config/experiments/grpo-r3-m8.conf"),
        "r3 { algorithm { name = grpo, routing = r3, tis.enabled = off }, learner { mini-steps = 8, lr = 5e-4 } }\n");
    Path runs = tmp.resolve("runs");
    Fixtures.write(
        tmp.resolve("config/suites/t.conf"),
        "suite { name = t, seeds = 2, runs-dir = \""
            + runs
            + "\", experiments = [\"experiments/grpo-r3-m8.conf\"] }\n");
    Path d = runs.resolve("t/grpo-r3-m8/seed-1");
    Fixtures.metrics(d, 10, s -> Fixtures.step(s, 1e-4, st -> 0.5));
    Fixtures.summary(d, 0.2, 0.5);

    Path out = tmp.resolve("report");
    int code =
        R3.commandLine()
            .execute(
                "compare",
                "--suite",
                tmp.resolve("config/suites/t.conf").toString(),
                "--report-only",
                "--out",
                out.toString());

    assertEquals(1, code); // seed 2 never ran
    String md = Files.readString(out.resolve("report.md"));
    assertTrue(md.contains("| GRPO+R3 | M=8, lr=5e-04 | 1/2 | 0.500 |"), md);
    assertTrue(Files.exists(out.resolve("report.json")));
    assertTrue(Files.exists(out.resolve("reward-m8.png")));
  }

  @Test
  void reportOnly_listsEveryPilotRunOfTheSuitesPilots_andAMissingPilotFileFails() throws Exception {
    Fixtures.write(
        tmp.resolve("config/experiments/grpo-m8.conf"),
        "r3 { algorithm { name = grpo, routing = recompute, tis.enabled = off }, learner { mini-steps = 8, lr = 5e-4 } }\n");
    Path runs = tmp.resolve("runs");
    Fixtures.write(
        tmp.resolve("config/suites/pilots/p1.conf"),
        "suite { name = p1, config-dir = \"../..\", runs-dir = \""
            + runs
            + "\", experiments = [{ config = \"experiments/grpo-m8.conf\", name = grpo-hot,"
            + " set = [\"r3.learner.lr=3e-3\"] }] }\n");
    Path pilot = runs.resolve("p1/grpo-hot/seed-1");
    Fixtures.metrics(pilot, 10, s -> Fixtures.step(s, 2e-4, st -> 0.4));
    Fixtures.summary(pilot, 0.2, 0.375);
    Fixtures.write(
        tmp.resolve("config/suites/s.conf"),
        "suite { name = s, runs-dir = \""
            + runs
            + "\", pilots = [\"pilots/p1.conf\"], experiments = [\"experiments/grpo-m8.conf\"] }\n");
    Path out = tmp.resolve("report");

    R3.commandLine()
        .execute(
            "compare",
            "--suite",
            tmp.resolve("config/suites/s.conf").toString(),
            "--report-only",
            "--out",
            out.toString());

    String md = Files.readString(out.resolve("report.md"));
    assertTrue(md.contains("## Pilots: how the regime was chosen"), md);
    assertTrue(
        md.contains("| `p1.conf` | grpo-hot | r3.learner.lr=3e-3 | finished | 0.375 | 0.400 | - |"),
        md);

    Fixtures.write(
        tmp.resolve("config/suites/bad.conf"),
        "suite { name = bad, pilots = [\"pilots/absent.conf\"], experiments = [\"experiments/grpo-m8.conf\"] }\n");
    int code =
        R3.commandLine()
            .execute(
                "compare",
                "--suite",
                tmp.resolve("config/suites/bad.conf").toString(),
                "--report-only",
                "--out",
                tmp.resolve("bad").toString());
    assertEquals(2, code); // a user error, named before anything is written
    assertTrue(Files.notExists(tmp.resolve("bad/report.md")));
  }

  @Test
  void badSuite_isOneLineUserError() {
    int code =
        R3.commandLine()
            .execute("compare", "--suite", tmp.resolve("absent.conf").toString(), "--report-only");
    assertEquals(2, code);
  }
}
