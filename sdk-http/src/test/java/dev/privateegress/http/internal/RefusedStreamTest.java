package dev.privateegress.http.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.privateegress.EgressListener;
import dev.privateegress.PrivateEgress;
import dev.privateegress.http.PrivateHttp;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.Test;

/**
 * A plain POST whose body is being written when the server's GOAWAY refuses its stream. The body write then fails
 * with a connection error ("stream closed" here, "closed" or "Connection or outbound has closed" against nginx),
 * not with the refused stream's reset; the SDK must still see a request the server never processed. The race is
 * made exact: the h2c server below opens large stream windows but keeps the connection's at 65,535 bytes, so the
 * client's body write waits for the connection's window, inside OkHttp, when the server ends the stream.
 */
class RefusedStreamTest {
  private static final MediaType BYTES = MediaType.get("application/octet-stream");
  private static final int BODY_LENGTH = 4 * 65_535;

  @Test
  void aBodyWriteFailingOnAStreamTheGoawayRefusedIsReportedAsRefused() throws Exception {
    try (BodyWindowServer server = BodyWindowServer.start(Mode.GOAWAY)) {
      AtomicReference<IOException> thrown = new AtomicReference<>();
      AtomicReference<IOException> reported = new AtomicReference<>();
      OkHttpClient client = observing(thrown, reported);
      Caller call = Caller.start(client, post(server));
      server.endStreamWhileTheBodyWaits(call.thread);
      assertThat(call.failure()).isNotNull();
      // the case under test: OkHttp's own exception is not the reset, so alone it would read "may have been sent"
      assertThat(RetryRules.notProcessed(thrown.get())).as("OkHttp threw %s", thrown.get()).isFalse();
      assertThat(RetryRules.notProcessed(reported.get())).as("reported %s", reported.get()).isTrue();
      assertThat(reported.get().getCause()).isSameAs(thrown.get());
      assertThat(server.completed.get()).isZero();
    }
  }

  @Test
  void aBodyWriteFailingOnAStreamResetOtherwiseStaysMayHaveBeenProcessed() throws Exception {
    try (BodyWindowServer server = BodyWindowServer.start(Mode.RESET_INTERNAL_ERROR)) {
      AtomicReference<IOException> thrown = new AtomicReference<>();
      AtomicReference<IOException> reported = new AtomicReference<>();
      Caller call = Caller.start(observing(thrown, reported), post(server));
      server.endStreamWhileTheBodyWaits(call.thread);
      assertThat(call.failure()).isNotNull();
      assertThat(reported.get()).isSameAs(thrown.get());
      assertThat(RetryRules.notProcessed(reported.get())).isFalse();
    }
  }

  @Test
  void aPlainPostWhoseBodyMeetsTheGoawayIsSentAgainAndExecutedOnce() throws Exception {
    try (BodyWindowServer server = BodyWindowServer.start(Mode.GOAWAY)) {
      AtomicInteger refused = new AtomicInteger();
      EgressListener listener = new EgressListener() {
        @Override
        public void attempt(String target, int attempt, String outcome, Duration took) {
          if (outcome.equals("refused")) {
            refused.incrementAndGet();
          }
        }
      };
      OkHttpClient client = PrivateHttp.newClient(PrivateEgress.builder().environment(Map.of()).listener(listener)
          .build()).newBuilder().protocols(List.of(Protocol.H2_PRIOR_KNOWLEDGE)).build();
      Caller call = Caller.start(client, post(server));
      server.endStreamWhileTheBodyWaits(call.thread);
      assertThat(call.failure()).as("the POST succeeds").isNull();
      assertThat(call.code).isEqualTo(200);
      assertThat(refused.get()).isEqualTo(1);
      assertThat(server.connections.get()).as("sent again on a new connection").isEqualTo(2);
      assertThat(server.completed.get()).as("requests the server received whole and answered").isEqualTo(1);
    }
  }

  private static Request post(BodyWindowServer server) {
    return new Request.Builder().url("http://127.0.0.1:" + server.port() + "/orders")
        .post(RequestBody.create(new byte[BODY_LENGTH], BYTES)).build();
  }

  /** A plain OkHttp h2c client whose network interceptor records what OkHttp threw and what the SDK reports. */
  private static OkHttpClient observing(AtomicReference<IOException> thrown, AtomicReference<IOException> reported) {
    return new OkHttpClient.Builder()
        .protocols(List.of(Protocol.H2_PRIOR_KNOWLEDGE))
        .retryOnConnectionFailure(false)
        .addNetworkInterceptor(chain -> {
          try {
            return chain.proceed(chain.request());
          } catch (IOException e) {
            thrown.set(e);
            reported.set(WireInterceptor.refusedStream(chain.connection(), e));
            throw e;
          }
        })
        .build();
  }

  /** A call made on its own thread, so the test can see that thread wait inside OkHttp. */
  private static final class Caller {
    final Thread thread;
    final CountDownLatch done = new CountDownLatch(1);
    volatile int code = -1;
    volatile IOException failure;

    private Caller(OkHttpClient client, Request request) {
      thread = new Thread(() -> {
        try (Response r = client.newCall(request).execute()) {
          code = r.code();
        } catch (IOException e) {
          failure = e;
        } finally {
          done.countDown();
        }
      }, "refused-stream-caller");
      thread.start();
    }

    static Caller start(OkHttpClient client, Request request) {
      return new Caller(client, request);
    }

    IOException failure() throws InterruptedException {
      assertThat(done.await(20, TimeUnit.SECONDS)).as("call ended").isTrue();
      return failure;
    }
  }

  /** How the server ends the first connection's stream while the client's body waits for the window. */
  enum Mode {
    /** GOAWAY with last stream id 0: the stream was refused, never processed (RFC 9113 §6.8). */
    GOAWAY,
    /** RST_STREAM INTERNAL_ERROR: the server may have acted on what it read. */
    RESET_INTERNAL_ERROR
  }

  /**
   * An h2c (prior knowledge) server speaking just enough HTTP/2 for one POST per connection. The first connection
   * grants 1 MiB stream windows but leaves the connection's window at the initial 65,535 bytes, so a larger body
   * waits for a WINDOW_UPDATE inside OkHttp's {@code Http2Connection.writeData}; the server then ends the stream
   * as {@link Mode} says. Later connections take the whole body and answer 200.
   */
  private static final class BodyWindowServer implements AutoCloseable {
    private static final int DATA = 0;
    private static final int HEADERS = 1;
    private static final int RST_STREAM = 3;
    private static final int SETTINGS = 4;
    private static final int GOAWAY = 7;
    private static final int WINDOW_UPDATE = 8;
    private static final int END_STREAM = 0x1;
    private static final int ACK = 0x1;
    private static final int END_HEADERS = 0x4;
    /** Bytes of body after which the client's write must be in the last frames before the window is spent. */
    private static final int MOST_OF_THE_WINDOW = 3 * 16_384;

    final AtomicInteger connections = new AtomicInteger();
    final AtomicInteger completed = new AtomicInteger();
    private final ServerSocket listener;
    private final Mode mode;
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final CountDownLatch midBody = new CountDownLatch(1);
    private final CountDownLatch endStream = new CountDownLatch(1);

    private BodyWindowServer(Mode mode) throws IOException {
      this.mode = mode;
      this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    }

    static BodyWindowServer start(Mode mode) throws IOException {
      BodyWindowServer s = new BodyWindowServer(mode);
      s.threads.execute(s::accept);
      return s;
    }

    int port() {
      return listener.getLocalPort();
    }

    /**
     * Waits until {@code caller} waits for the connection's flow-control window inside OkHttp (the body write in
     * flight), then lets the server end the stream.
     */
    void endStreamWhileTheBodyWaits(Thread caller) throws InterruptedException {
      assertThat(midBody.await(10, TimeUnit.SECONDS)).as("the body reached the server").isTrue();
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (!(caller.getState() == Thread.State.WAITING && Arrays.stream(caller.getStackTrace())
          .anyMatch(f -> f.getMethodName().equals("writeData")))) {
        assertThat(System.nanoTime() - until < 0).as("the caller waits in Http2Connection.writeData: "
            + Arrays.toString(caller.getStackTrace())).isTrue();
        Thread.sleep(1);
      }
      endStream.countDown();
    }

    private void accept() {
      while (!listener.isClosed()) {
        try {
          Socket socket = listener.accept();
          sockets.add(socket);
          boolean first = connections.incrementAndGet() == 1;
          threads.execute(() -> serve(socket, first));
        } catch (IOException closed) {
          return;
        }
      }
    }

    private void serve(Socket socket, boolean first) {
      try (socket) {
        DataInputStream in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
        OutputStream out = socket.getOutputStream();
        in.readFully(new byte[24]); // the client's connection preface
        frame(out, SETTINGS, 0, 0, new byte[] {0, 4, 0, 0x10, 0, 0}); // SETTINGS_INITIAL_WINDOW_SIZE 1 MiB
        if (!first) {
          frame(out, WINDOW_UPDATE, 0, 0, int32(1 << 24)); // the connection's window: room for the whole body
        }
        long body = 0;
        boolean ended = false;
        while (true) {
          int length = in.readUnsignedByte() << 16 | in.readUnsignedByte() << 8 | in.readUnsignedByte();
          int type = in.readUnsignedByte();
          int flags = in.readUnsignedByte();
          int stream = in.readInt() & 0x7fffffff;
          in.readFully(new byte[length]);
          if (type == SETTINGS && (flags & ACK) == 0) {
            frame(out, SETTINGS, ACK, 0, new byte[0]);
          } else if (type == DATA && !first) {
            body += length;
            if ((flags & END_STREAM) != 0 && body == BODY_LENGTH) {
              completed.incrementAndGet();
              frame(out, HEADERS, END_STREAM | END_HEADERS, stream, new byte[] {(byte) 0x88}); // :status 200
            }
          } else if (type == DATA && !ended && (body += length) >= MOST_OF_THE_WINDOW) {
            ended = true;
            midBody.countDown();
            if (!endStream.await(15, TimeUnit.SECONDS)) {
              return;
            }
            if (mode == Mode.GOAWAY) {
              frame(out, GOAWAY, 0, 0, new byte[8]); // last stream id 0, NO_ERROR
            } else {
              frame(out, RST_STREAM, 0, stream, int32(2)); // INTERNAL_ERROR
            }
          }
        }
      } catch (IOException | InterruptedException e) {
        // the client closed the connection, or the test ended
      }
    }

    private static byte[] int32(int v) {
      return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    }

    private static void frame(OutputStream out, int type, int flags, int stream, byte[] payload) throws IOException {
      byte[] f = new byte[9 + payload.length];
      f[0] = (byte) (payload.length >>> 16);
      f[1] = (byte) (payload.length >>> 8);
      f[2] = (byte) payload.length;
      f[3] = (byte) type;
      f[4] = (byte) flags;
      System.arraycopy(int32(stream), 0, f, 5, 4);
      System.arraycopy(payload, 0, f, 9, payload.length);
      out.write(f);
      out.flush();
    }

    @Override
    public void close() throws IOException {
      listener.close();
      for (Socket s : sockets) {
        s.close();
      }
      threads.shutdownNow();
    }
  }
}
