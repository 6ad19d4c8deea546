package dev.r3.example.plugin;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

/** The example plugin as a user ships it: its classes and its services entry, in one jar. */
public final class ParrotJar {
  private ParrotJar() {}

  /** Writes the jar to {@code jar} (its folder must exist) and returns it. */
  public static Path write(Path jar) throws IOException {
    Path classes;
    try {
      classes =
          Path.of(ParrotProvider.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (URISyntaxException e) {
      throw new IOException(e);
    }
    Path dir = classes.resolve("dev/r3/example/plugin");
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar));
        Stream<Path> files = Files.list(dir)) {
      for (Path f : files.sorted().toList()) {
        if (f.getFileName().toString().startsWith("ParrotJar")) {
          continue; // this helper is no part of the plugin
        }
        out.putNextEntry(new JarEntry(classes.relativize(f).toString().replace('\\', '/')));
        Files.copy(f, out);
        out.closeEntry();
      }
      out.putNextEntry(new JarEntry("META-INF/services/dev.r3.env.EnvironmentProvider"));
      out.write((ParrotProvider.class.getName() + "\n").getBytes(StandardCharsets.UTF_8));
      out.closeEntry();
    }
    return jar;
  }
}
