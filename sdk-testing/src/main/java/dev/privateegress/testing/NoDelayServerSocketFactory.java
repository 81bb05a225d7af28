package dev.privateegress.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import javax.net.ServerSocketFactory;

/**
 * A {@link ServerSocketFactory} whose accepted sockets have {@code TCP_NODELAY} set. Give it to a test
 * HTTP server such as OkHttp's {@code MockWebServer} ({@code server.setServerSocketFactory(...)}): without
 * it, each keep-alive exchange on loopback can wait about 40 ms for a delayed ACK (Nagle on the server's
 * split writes), which makes retry and benchmark loops slow for reasons that have nothing to do with the
 * client under test.
 */
public final class NoDelayServerSocketFactory extends ServerSocketFactory {

  /** Creates a factory; it holds no state. */
  public NoDelayServerSocketFactory() {}

  private static ServerSocket socket() throws IOException {
    return new ServerSocket() {
      @Override
      public Socket accept() throws IOException {
        Socket s = super.accept();
        s.setTcpNoDelay(true);
        return s;
      }
    };
  }

  @Override
  public ServerSocket createServerSocket() throws IOException {
    return socket();
  }

  @Override
  public ServerSocket createServerSocket(int port) throws IOException {
    return createServerSocket(port, 50, null);
  }

  @Override
  public ServerSocket createServerSocket(int port, int backlog) throws IOException {
    return createServerSocket(port, backlog, null);
  }

  @Override
  public ServerSocket createServerSocket(int port, int backlog, InetAddress address) throws IOException {
    ServerSocket s = socket();
    s.bind(new InetSocketAddress(address, port), backlog);
    return s;
  }
}
