package dev.privateegress.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every {@code ```java} block of README.md and docs/*.md compiles against the SDK's modules (this
 * module's test class path), exactly as a reader would paste it.
 *
 * <p>A block is either a whole compilation unit (imports and a type declaration) or a fragment: its
 * {@code import} lines, then statements, which are compiled as the body of a method. A fragment may name
 * what it takes from the text around it in a first comment line, {@code // given: PrivateEgress egress,
 * OkHttpClient http}, which becomes the method's parameters; the types still need the block's imports.
 * A block that is not meant to compile (pseudo-code) is preceded by the line {@code <!-- docs-check:
 * not java -->}.
 */
class SnippetsCompileTest {
  private static final Path ROOT = Path.of("..");
  private static final String SKIP = "<!-- docs-check: not java -->";
  private static final Pattern TYPE = Pattern.compile(
      "^(?:public\\s+|final\\s+|abstract\\s+)*(?:class|record|interface|enum)\\s+(\\w+)", Pattern.MULTILINE);
  private static final Pattern GIVEN = Pattern.compile("^\\s*//\\s*given:\\s*(.+)$");

  @TempDir
  Path out;

  @TestFactory
  Stream<DynamicTest> everyJavaBlockCompiles() throws IOException {
    List<Path> docs = new ArrayList<>();
    docs.add(ROOT.resolve("README.md"));
    try (Stream<Path> files = Files.list(ROOT.resolve("docs"))) {
      files.filter(p -> p.toString().endsWith(".md")).sorted().forEach(docs::add);
    }
    return docs.stream().map(doc -> DynamicTest.dynamicTest(ROOT.relativize(doc).toString(), () -> compile(doc)));
  }

  /** A ```java block: where it starts in the document (1-based line of its first code line) and its text. */
  record Block(Path doc, int line, String code) {}

  static List<Block> blocks(Path doc) throws IOException {
    List<String> lines = Files.readAllLines(doc, StandardCharsets.UTF_8);
    List<Block> blocks = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      if (!lines.get(i).strip().equals("```java")) {
        continue;
      }
      boolean skip = i > 0 && lines.get(i - 1).strip().equals(SKIP);
      int start = i + 1;
      StringBuilder code = new StringBuilder();
      for (i = start; i < lines.size() && !lines.get(i).strip().equals("```"); i++) {
        code.append(lines.get(i)).append('\n');
      }
      assertThat(i).as("%s:%d: a ```java block that never ends", doc, start).isLessThan(lines.size());
      if (!skip) {
        blocks.add(new Block(doc, start + 1, code.toString()));
      }
    }
    return blocks;
  }

  private void compile(Path doc) throws IOException {
    List<Block> blocks = blocks(doc);
    if (blocks.isEmpty()) {
      return;
    }
    List<Unit> units = new ArrayList<>();
    for (Block b : blocks) {
      units.add(Unit.of(b, units.size()));
    }
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
    List<String> options = List.of("--release", "17", "-proc:none", "-Xlint:none", "-encoding", "UTF-8",
        "-classpath", System.getProperty("java.class.path"), "-d", out.toString());
    boolean ok = javac.getTask(null, null, diagnostics, options, null, units).call();
    List<String> errors = new ArrayList<>();
    for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
      if (d.getKind() == Diagnostic.Kind.ERROR && d.getSource() instanceof Unit u) {
        errors.add(u.block.doc() + ":" + u.docLine(d.getLineNumber()) + ": " + d.getMessage(Locale.ROOT));
      }
    }
    assertThat(errors).as("snippets of %s that do not compile", doc).isEmpty();
    assertThat(ok).as("javac failed on %s: %s", doc, diagnostics.getDiagnostics()).isTrue();
  }

  /** One block as a compilation unit. */
  static final class Unit extends SimpleJavaFileObject {
    final Block block;
    final String source;
    final int firstCodeLine; // line of the unit that holds the block's first line

    private Unit(URI uri, Block block, String source, int firstCodeLine) {
      super(uri, Kind.SOURCE);
      this.block = block;
      this.source = source;
      this.firstCodeLine = firstCodeLine;
    }

    static Unit of(Block block, int n) {
      String code = block.code();
      Matcher type = TYPE.matcher(code);
      if (type.find()) {
        return new Unit(URI.create("string:///" + type.group(1) + ".java"), block, code, 1);
      }
      StringBuilder imports = new StringBuilder();
      StringBuilder body = new StringBuilder();
      String params = "";
      String[] lines = code.split("\n", -1);
      for (String line : lines) {
        Matcher given = GIVEN.matcher(line);
        if (line.strip().startsWith("import ")) {
          imports.append(line);
        } else if (given.matches() && params.isEmpty()) {
          params = given.group(1).replaceAll("\\s*\\(.*\\)\\s*$", "").strip();
          body.append(line);
        } else {
          body.append(line);
        }
        // keep one line per block line, so an error's line maps back to the document
        imports.append('\n');
        body.append('\n');
      }
      String name = "Snippet" + n;
      // Imports first, on the block's own lines; the class header follows the last block line's import slot.
      String source = imports + "class " + name + " { void run(" + params + ") throws Exception {\n" + body + "}}\n";
      int bodyStart = lines.length + 2; // after the import lines and the class header
      return new Unit(URI.create("string:///" + name + ".java"), block, source, bodyStart);
    }

    long docLine(long unitLine) {
      if (firstCodeLine == 1 || unitLine < firstCodeLine) {
        return block.line() + unitLine - 1; // a whole unit, or a fragment's import line
      }
      return block.line() + unitLine - firstCodeLine;
    }

    @Override
    public CharSequence getCharContent(boolean ignoreEncodingErrors) {
      return source;
    }
  }
}
