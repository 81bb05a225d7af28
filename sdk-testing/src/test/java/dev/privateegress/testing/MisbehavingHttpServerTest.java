package dev.privateegress.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class MisbehavingHttpServerTest {
  private static String exchange(Socket s, String request) throws Exception {
    OutputStream out = s.getOutputStream();
    out.write(request.getBytes(StandardCharsets.US_ASCII));
    out.flush();
    BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
    String status = in.readLine();
    int length = 0;
    for (String line = in.readLine(); !line.isEmpty(); line = in.readLine()) {
      if (line.toLowerCase().startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    char[] body = new char[length];
    int read = 0;
    while (read < length) {
      read += in.read(body, read, length - read);
    }
    return status + " " + new String(body);
  }

  @Test
  void answersQueuedStatusesCountsPostsAndClosesIdleConnections() throws Exception {
    try (MisbehavingHttpServer server = MisbehavingHttpServer.start(Duration.ofMillis(100))) {
      server.enqueue(503);
      try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
        assertThat(exchange(s, "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"))
            .isEqualTo("HTTP/1.1 503 Status status 503");
        assertThat(exchange(s, "GET /b HTTP/1.1\r\nHost: x\r\n\r\n")).isEqualTo("HTTP/1.1 200 OK ok");
        Thread.sleep(300);
        s.setSoTimeout(2_000);
        assertThat(s.getInputStream().read()).as("closed by the server while idle").isEqualTo(-1);
      }
      assertThat(server.requests()).isEqualTo(2);
      assertThat(server.posts()).isEqualTo(1);
      assertThat(server.idleCloses()).isEqualTo(1);
      assertThat(server.connections()).isEqualTo(1);
    }
  }

  @Test
  void tricklesResponses() throws Exception {
    try (MisbehavingHttpServer server = MisbehavingHttpServer.start(Duration.ofSeconds(5))) {
      server.trickle(Duration.ofMillis(10));
      try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
        long start = System.nanoTime();
        assertThat(exchange(s, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")).isEqualTo("HTTP/1.1 200 OK ok");
        // about 60 bytes at 10 ms each
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThan(Duration.ofMillis(300));
      }
    }
  }
}
