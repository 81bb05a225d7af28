package dev.privateegress.http.internal;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import okhttp3.Interceptor;
import okhttp3.internal.http2.ErrorCode;

/**
 * Reads the HTTP/2 error code OkHttp recorded on a failed exchange's stream. A request body written while the
 * server's GOAWAY arrives fails with the socket's error ("closed", "Connection or outbound has closed"), although
 * OkHttp already marked the stream {@code REFUSED_STREAM} (it was above the GOAWAY's last stream id, so the server
 * never processed it); the exception alone would make it "may have been processed". OkHttp exposes the stream only
 * internally, so this reads it through its private fields, once per failed HTTP/2 attempt; with another OkHttp
 * layout it finds nothing and the failure keeps its ordinary classification.
 */
final class Http2Streams {
  private static final MethodHandle EXCHANGE;
  private static final MethodHandle CODEC;
  private static final MethodHandle STREAM;
  private static final MethodHandle ERROR_CODE;

  static {
    MethodHandle exchange = null;
    MethodHandle codec = null;
    MethodHandle stream = null;
    MethodHandle errorCode = null;
    try {
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      Class<?> chain = Class.forName("okhttp3.internal.http.RealInterceptorChain");
      Class<?> exchangeType = Class.forName("okhttp3.internal.connection.Exchange");
      Class<?> codecType = Class.forName("okhttp3.internal.http2.Http2ExchangeCodec");
      Class<?> streamType = Class.forName("okhttp3.internal.http2.Http2Stream");
      exchange = lookup.findVirtual(chain, "getExchange$okhttp", MethodType.methodType(exchangeType));
      codec = lookup.unreflectGetter(accessible(exchangeType.getDeclaredField("codec")));
      stream = lookup.unreflectGetter(accessible(codecType.getDeclaredField("stream")));
      errorCode = lookup.findVirtual(streamType, "getErrorCode$okhttp", MethodType.methodType(ErrorCode.class));
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      exchange = null; // another OkHttp: nothing to read
    }
    EXCHANGE = exchange;
    CODEC = codec;
    STREAM = stream;
    ERROR_CODE = errorCode;
  }

  private Http2Streams() {}

  private static Field accessible(Field f) {
    f.setAccessible(true);
    return f;
  }

  /** True when the HTTP/2 stream of {@code chain}'s exchange was refused by the server (or by its GOAWAY). */
  static boolean refused(Interceptor.Chain chain) {
    if (EXCHANGE == null) {
      return false;
    }
    try {
      Object exchange = EXCHANGE.invoke(chain);
      Object codec = exchange == null ? null : CODEC.invoke(exchange);
      if (codec == null || !codec.getClass().getName().equals("okhttp3.internal.http2.Http2ExchangeCodec")) {
        return false;
      }
      Object stream = STREAM.invoke(codec);
      return stream != null && ERROR_CODE.invoke(stream) == ErrorCode.REFUSED_STREAM;
    } catch (Throwable e) { // a chain of another type, or another layout
      return false;
    }
  }
}
