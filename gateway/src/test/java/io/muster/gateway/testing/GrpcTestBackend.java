package io.muster.gateway.testing;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.MethodDescriptor.MethodType;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.muster.api.v1.Instance;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A real grpc-java server on 127.0.0.1 with a hand-written service of strings (no generated code):
 * {@code test.Echo/Unary} answers {@code name:request}, {@code ServerStream} answers N messages,
 * {@code ClientStream} joins what it received, {@code Fail} answers NOT_FOUND with a custom trailer,
 * {@code Slow} never answers.
 */
public final class GrpcTestBackend implements AutoCloseable {

  public static final Metadata.Key<String> DETAIL = Metadata.Key.of("x-detail", Metadata.ASCII_STRING_MARSHALLER);

  public static final MethodDescriptor.Marshaller<String> STRING = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(String value) {
      return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String parse(InputStream stream) {
      try {
        return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  };

  public static final MethodDescriptor<String, String> UNARY = method("Unary", MethodType.UNARY);
  public static final MethodDescriptor<String, String> SERVER_STREAM = method("ServerStream", MethodType.SERVER_STREAMING);
  public static final MethodDescriptor<String, String> CLIENT_STREAM = method("ClientStream", MethodType.CLIENT_STREAMING);
  public static final MethodDescriptor<String, String> FAIL = method("Fail", MethodType.UNARY);
  public static final MethodDescriptor<String, String> SLOW = method("Slow", MethodType.UNARY);

  private final String name;
  private final Server server;
  private final AtomicInteger calls = new AtomicInteger();
  private final AtomicReference<Metadata> lastHeaders = new AtomicReference<>();

  public GrpcTestBackend(String name) throws IOException {
    this(name, null);
  }

  /** @param tls server TLS (e.g. requiring client certificates), or null for plaintext */
  public GrpcTestBackend(String name, io.netty.handler.ssl.SslContext tls) throws IOException {
    this.name = name;
    ServerServiceDefinition service = ServerServiceDefinition.builder("test.Echo")
        .addMethod(UNARY, ServerCalls.asyncUnaryCall((String req, StreamObserver<String> out) -> {
          calls.incrementAndGet();
          out.onNext(name + ":" + req);
          out.onCompleted();
        }))
        .addMethod(SERVER_STREAM, ServerCalls.asyncServerStreamingCall((String req, StreamObserver<String> out) -> {
          calls.incrementAndGet();
          int n = Integer.parseInt(req);
          for (int i = 0; i < n; i++) {
            out.onNext(name + ":" + i);
          }
          out.onCompleted();
        }))
        .addMethod(CLIENT_STREAM, ServerCalls.asyncClientStreamingCall(this::join))
        .addMethod(FAIL, ServerCalls.asyncUnaryCall((String req, StreamObserver<String> out) -> {
          calls.incrementAndGet();
          Metadata trailers = new Metadata();
          trailers.put(DETAIL, "from-" + name);
          out.onError(Status.NOT_FOUND.withDescription("no such thing: " + req + " (é%)").asRuntimeException(trailers));
        }))
        .addMethod(SLOW, ServerCalls.asyncUnaryCall((String req, StreamObserver<String> out) -> calls.incrementAndGet()))
        .build();
    io.grpc.ServerInterceptor capture = new io.grpc.ServerInterceptor() {
      @Override
      public <Q, A> io.grpc.ServerCall.Listener<Q> interceptCall(io.grpc.ServerCall<Q, A> call, Metadata headers,
          io.grpc.ServerCallHandler<Q, A> next) {
        lastHeaders.set(headers);
        return next.startCall(call, headers);
      }
    };
    NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(io.grpc.ServerInterceptors.intercept(service, capture));
    if (tls != null) {
      builder.sslContext(tls);
    }
    server = builder.build().start();
  }

  private StreamObserver<String> join(StreamObserver<String> out) {
    calls.incrementAndGet();
    StringBuilder sb = new StringBuilder(name).append(":");
    return new StreamObserver<>() {
      @Override
      public void onNext(String value) {
        sb.append(value);
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {
        out.onNext(sb.toString());
        out.onCompleted();
      }
    };
  }

  private static MethodDescriptor<String, String> method(String name, MethodType type) {
    return MethodDescriptor.<String, String>newBuilder(STRING, STRING)
        .setFullMethodName(MethodDescriptor.generateFullMethodName("test.Echo", name)).setType(type).build();
  }

  public String name() {
    return name;
  }

  public int port() {
    return server.getPort();
  }

  /** The request headers (metadata) of the last call that reached this backend, or null. */
  public Metadata lastHeaders() {
    return lastHeaders.get();
  }

  public int calls() {
    return calls.get();
  }

  public Instance instance(String service) {
    return Instances.healthy(service, name, port());
  }

  /** A unary call of {@code method} on {@code channel}. */
  public static String unary(Channel channel, MethodDescriptor<String, String> method, String request,
      CallOptions options) {
    return ClientCalls.blockingUnaryCall(channel, method, options, request);
  }

  @Override
  public void close() {
    server.shutdownNow();
  }
}
