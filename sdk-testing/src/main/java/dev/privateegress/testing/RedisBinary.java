package dev.privateegress.testing;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * Finds the executables the test kit runs: {@code redis-server} on {@code PATH}, else the binary shipped
 * inside the {@code com.github.codemonstur:embedded-redis} jar, extracted once to the temporary directory.
 */
final class RedisBinary {
  private RedisBinary() {}

  static Path redisServer() {
    Path onPath = onPath("redis-server");
    return onPath != null ? onPath : extractEmbedded();
  }

  /** {@code executable} in a {@code PATH} directory, or null. */
  static Path onPath(String executable) {
    String path = System.getenv("PATH");
    if (path == null) {
      return null;
    }
    for (String dir : path.split(File.pathSeparator)) {
      if (dir.isEmpty()) {
        continue;
      }
      Path p = Path.of(dir, executable);
      if (Files.isRegularFile(p) && Files.isExecutable(p)) {
        return p;
      }
    }
    return null;
  }

  private static synchronized Path extractEmbedded() {
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    String name;
    if (os.contains("linux")) {
      name = arch.contains("aarch64") || arch.contains("arm64") ? "redis-server-6.2.7-linux-arm64"
          : arch.contains("86") && !arch.contains("64") ? "redis-server-6.2.7-linux-386"
          : "redis-server-6.2.6-v5-linux-amd64";
    } else if (os.contains("mac") || os.contains("darwin")) {
      name = arch.contains("aarch64") || arch.contains("arm64") ? "redis-server-6.2.6-v5-darwin-arm64"
          : "redis-server-6.2.6-v5-darwin-amd64";
    } else {
      throw new IllegalStateException("no redis-server on PATH and no embedded binary for " + os + "/" + arch
          + "; install Redis");
    }
    try (InputStream in = RedisBinary.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("no redis-server on PATH and " + name
            + " is missing from the class path (com.github.codemonstur:embedded-redis)");
      }
      Path target = Path.of(System.getProperty("java.io.tmpdir"), "private-egress-" + name);
      if (!Files.isExecutable(target)) {
        Path tmp = Files.createTempFile("private-egress-redis", ".bin");
        Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
        tmp.toFile().setExecutable(true);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      }
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot extract " + name, e);
    }
  }
}
