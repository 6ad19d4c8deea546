package dev.r3.model.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A folder sealed with a manifest is complete or absent, and damage is named. */
class ManifestTest {
  @TempDir Path tmp;

  private static Manifest.Contents files(String a, String b) {
    return dir -> {
      Files.writeString(dir.resolve("a.txt"), a, StandardCharsets.UTF_8);
      Files.writeString(dir.resolve("b.bin"), b, StandardCharsets.UTF_8);
    };
  }

  private long hidden() throws IOException {
    try (Stream<Path> s = Files.list(tmp)) {
      return s.filter(Manifest::isTemporary).count();
    }
  }

  @Test
  void sealedFolder_verifies_andListsItsFiles() throws Exception {
    Path d = tmp.resolve("step-1");
    var written = Manifest.writeAtomically(d, files("one", "two"));
    assertThat(written).containsOnlyKeys("a.txt", "b.bin");
    assertThat(Manifest.verify(d)).isEqualTo(written);
    assertThat(written.get("a.txt").bytes()).isEqualTo(3);
    assertThat(written.get("a.txt").sha256()).isEqualTo(Manifest.sha256(d.resolve("a.txt")));
    assertThat(hidden()).isZero();
  }

  @Test
  void failedWrite_leavesThePreviousFolderIntact() throws Exception {
    Path d = tmp.resolve("step-1");
    Manifest.writeAtomically(d, files("one", "two"));
    assertThatThrownBy(
            () ->
                Manifest.writeAtomically(
                    d,
                    dir -> {
                      Files.writeString(dir.resolve("a.txt"), "new");
                      throw new IOException("disk full");
                    }))
        .hasMessageContaining("disk full");
    assertThat(Files.readString(d.resolve("a.txt"))).isEqualTo("one");
    Manifest.verify(d);
    assertThat(hidden()).isZero();
  }

  @Test
  void processDeathMidWrite_leavesOnlyAStagingFolder_sweptByTheNextWrite() throws Exception {
    Path d = tmp.resolve("step-2");
    // What a killed writer leaves: a staging folder with some files and no manifest.
    Path staging = tmp.resolve(".step-2" + Manifest.STAGING + "dead");
    Files.createDirectories(staging);
    Files.writeString(staging.resolve("a.txt"), "half");
    assertThat(hidden()).isEqualTo(1);
    assertThatThrownBy(() -> Manifest.verify(d)).hasMessageContaining("no checkpoint at");
    Manifest.writeAtomically(d, files("x", "y"));
    assertThat(hidden()).isZero();
    Manifest.verify(d);
  }

  @Test
  void replacingAFolder_swapsItWhole() throws Exception {
    Path d = tmp.resolve("step-3");
    Manifest.writeAtomically(d, files("one", "two"));
    Manifest.writeAtomically(d, dir -> Files.writeString(dir.resolve("c.txt"), "three"));
    assertThat(Manifest.verify(d)).containsOnlyKeys("c.txt");
    assertThat(d.resolve("a.txt")).doesNotExist();
    assertThat(hidden()).isZero();
  }

  @Test
  void missingManifest_truncatedFile_changedByte_andMissingFile_areNamed() throws Exception {
    Path d = tmp.resolve("step-4");
    Manifest.writeAtomically(d, files("hello", "world"));
    Path b = d.resolve("b.bin");

    Files.writeString(b, "worl");
    assertThatThrownBy(() -> Manifest.verify(d))
        .isInstanceOf(SafetensorsException.class)
        .hasMessageContaining("damaged")
        .hasMessageContaining("b.bin has 4 bytes, the manifest says 5");

    Files.writeString(b, "wOrld");
    assertThatThrownBy(() -> Manifest.verify(d))
        .hasMessageContaining("b.bin does not match its SHA-256");

    Files.delete(b);
    assertThatThrownBy(() -> Manifest.verify(d)).hasMessageContaining("b.bin is missing");

    Files.writeString(d.resolve(Manifest.FILE), "{\"format\": \"r3-manifest-1\", \"files\": 3}");
    assertThatThrownBy(() -> Manifest.verify(d)).hasMessageContaining("unreadable manifest");

    Files.writeString(d.resolve(Manifest.FILE), "{\"format\": \"other\"}");
    assertThatThrownBy(() -> Manifest.verify(d)).hasMessageContaining("not an R3 manifest");

    Files.writeString(
        d.resolve(Manifest.FILE),
        "{\"format\": \"r3-manifest-1\", \"files\": {\"../x\": {\"bytes\": 1, \"sha256\": \"0\"}}}");
    assertThatThrownBy(() -> Manifest.verify(d)).hasMessageContaining("bad file name");

    Files.delete(d.resolve(Manifest.FILE));
    assertThatThrownBy(() -> Manifest.verify(d))
        .hasMessageContaining("incomplete")
        .hasMessageContaining("half-written");
  }
}
