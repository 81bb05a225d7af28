package dev.privateegress;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;
import org.junit.jupiter.api.Test;

/**
 * The machinery in {@code internal} never calls back into the public packages in a circle: no class of
 * {@code dev.privateegress.internal} sits in a dependency cycle with a class of another package. Cycles
 * inside one package (a facade and its nested builder, a value and its enum) are fine, and so is the one
 * between the API and its extension point: {@code PrivateEgress} runs the {@code spi.TargetChecker}s,
 * which are handed the {@code PrivateEgress} they check for (failsafe's {@code dev.failsafe} and {@code
 * dev.failsafe.spi} refer to each other the same way). Read from the compiled classes with jdeps, so it
 * covers every reference javac emitted, not only imports.
 */
class DependencyCycleTest {
  private static final Pattern EDGE = Pattern.compile("^\\s+(dev\\.privateegress\\S*)\\s+->\\s+(dev\\.privateegress\\S*)\\s");

  @Test
  void noInternalClassIsInACycleWithAnotherPackage() {
    Map<String, Set<String>> graph = dependencies(Path.of("target/classes"));
    assertThat(graph).containsKey("dev.privateegress.PrivateEgress");
    List<Set<String>> crossing = new ArrayList<>();
    for (Set<String> component : stronglyConnected(graph)) {
      Set<String> packages = new TreeSet<>();
      component.forEach(c -> packages.add(c.substring(0, c.lastIndexOf('.'))));
      if (packages.size() > 1 && packages.contains("dev.privateegress.internal")) {
        crossing.add(new TreeSet<>(component));
      }
    }
    assertThat(crossing).as("class cycles between internal and another package").isEmpty();
  }

  @Test
  void theOnlyCycleAcrossPackagesIsTheApiWithItsSpi() {
    for (Set<String> component : stronglyConnected(dependencies(Path.of("target/classes")))) {
      Set<String> packages = new TreeSet<>();
      component.forEach(c -> packages.add(c.substring(0, c.lastIndexOf('.'))));
      boolean allowed = packages.size() == 1
          || packages.equals(Set.of("dev.privateegress", "dev.privateegress.spi"));
      assertThat(allowed).as("cycle across %s: %s", packages, new TreeSet<>(component)).isTrue();
    }
  }

  private static Map<String, Set<String>> dependencies(Path classes) {
    assertThat(Files.isDirectory(classes)).as(classes.toAbsolutePath().toString()).isTrue();
    ToolProvider jdeps = ToolProvider.findFirst("jdeps").orElseThrow();
    StringWriter out = new StringWriter();
    int status = jdeps.run(new PrintWriter(out), new PrintWriter(new StringWriter()),
        "-verbose:class", "-filter:none", classes.toString());
    assertThat(status).as(out.toString()).isZero();
    Map<String, Set<String>> graph = new TreeMap<>();
    for (String line : out.toString().split("\n")) {
      Matcher m = EDGE.matcher(line);
      if (m.find() && !m.group(1).equals(m.group(2))) {
        graph.computeIfAbsent(m.group(1), k -> new HashSet<>()).add(m.group(2));
        graph.computeIfAbsent(m.group(2), k -> new HashSet<>());
      }
    }
    return graph;
  }

  /** Tarjan's algorithm, iterative over an explicit stack so deep graphs cannot overflow. */
  private static List<Set<String>> stronglyConnected(Map<String, Set<String>> graph) {
    Map<String, Integer> index = new HashMap<>();
    Map<String, Integer> low = new HashMap<>();
    Deque<String> stack = new ArrayDeque<>();
    Set<String> onStack = new HashSet<>();
    List<Set<String>> components = new ArrayList<>();
    int[] counter = {0};
    for (String root : graph.keySet()) {
      if (index.containsKey(root)) {
        continue;
      }
      Deque<Object[]> work = new ArrayDeque<>();
      work.push(new Object[] {root, graph.get(root).iterator()});
      index.put(root, counter[0]);
      low.put(root, counter[0]++);
      stack.push(root);
      onStack.add(root);
      while (!work.isEmpty()) {
        Object[] frame = work.peek();
        String v = (String) frame[0];
        @SuppressWarnings("unchecked")
        java.util.Iterator<String> it = (java.util.Iterator<String>) frame[1];
        if (it.hasNext()) {
          String w = it.next();
          if (!index.containsKey(w)) {
            index.put(w, counter[0]);
            low.put(w, counter[0]++);
            stack.push(w);
            onStack.add(w);
            work.push(new Object[] {w, graph.get(w).iterator()});
          } else if (onStack.contains(w)) {
            low.put(v, Math.min(low.get(v), index.get(w)));
          }
          continue;
        }
        work.pop();
        if (!work.isEmpty()) {
          String parent = (String) work.peek()[0];
          low.put(parent, Math.min(low.get(parent), low.get(v)));
        }
        if (low.get(v).equals(index.get(v))) {
          Set<String> component = new HashSet<>();
          String w;
          do {
            w = stack.pop();
            onStack.remove(w);
            component.add(w);
          } while (!w.equals(v));
          if (component.size() > 1) {
            components.add(component);
          }
        }
      }
    }
    return components;
  }
}
