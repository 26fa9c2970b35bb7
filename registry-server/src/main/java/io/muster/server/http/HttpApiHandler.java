package io.muster.server.http;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.muster.api.v1.ClusterGrpc;
import io.muster.api.v1.Consistency;
import io.muster.api.v1.DeregisterRequest;
import io.muster.api.v1.DiscoverRequest;
import io.muster.api.v1.DiscoverResponse;
import io.muster.api.v1.ListServicesRequest;
import io.muster.api.v1.MembersRequest;
import io.muster.api.v1.MembersResponse;
import io.muster.api.v1.RegisterRequest;
import io.muster.api.v1.RegistryGrpc;
import io.muster.api.v1.StatusRequest;
import io.muster.api.v1.StatusResponse;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Routes one connection's requests to gRPC calls (see {@link HttpApiServer}). One instance per
 * connection; everything here runs on the connection's event loop (gRPC callbacks included, through
 * {@link CallOptions#withExecutor}).
 */
final class HttpApiHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

    static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private static final JsonFormat.Printer JSON = JsonFormat.printer().omittingInsignificantWhitespace();

    private final Channel grpc;
    private final HttpApiServer.Options options;
    private SseWatch watch;

    HttpApiHandler(Channel grpc, HttpApiServer.Options options) {
        this.grpc = grpc;
        this.options = options;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        Request r = new Request(ctx, req, new QueryStringDecoder(req.uri()), HttpUtil.isKeepAlive(req), callChannel(req));
        try {
            route(r);
        } catch (StatusRuntimeException e) {
            r.error(e.getStatus());
        } catch (MethodNotAllowed e) {
            r.send(HttpResponseStatus.METHOD_NOT_ALLOWED, HttpErrors.body(Status.UNIMPLEMENTED.withDescription(e.getMessage())), e.allowed);
        }
    }

    /** A path served for other methods only: 405 with {@code Allow}. */
    private static final class MethodNotAllowed extends RuntimeException {
        final String allowed;

        MethodNotAllowed(HttpMethod method, String allowed) {
            super("method: " + method + " (expected: " + allowed + ")", null, false, false);
            this.allowed = allowed;
        }
    }

    /**
     * The member's channel, with the caller's {@code Authorization} header passed on unchanged as the
     * gRPC {@code authorization} header (what the public port's token check reads).
     */
    private Channel callChannel(FullHttpRequest req) {
        String auth = req.headers().get(HttpHeaderNames.AUTHORIZATION);
        if (auth == null) {
            return grpc;
        }
        Metadata headers = new Metadata();
        headers.put(AUTHORIZATION, auth);
        return ClientInterceptors.intercept(grpc, MetadataUtils.newAttachHeadersInterceptor(headers));
    }

    private void route(Request r) {
        List<String> path = segments(r.query.path());
        HttpMethod method = r.req.method();
        if (path.size() < 2 || !path.get(0).equals("v1")) {
            throw notFound(r.query.path());
        }
        switch (path.get(1)) {
            case "services" -> {
                if (path.size() == 2) {
                    allow(method, HttpMethod.GET);
                    listServices(r);
                } else if (path.size() == 3) {
                    allow(method, HttpMethod.GET);
                    service(r, path.get(2));
                } else if (path.size() == 5 && path.get(3).equals("instances")) {
                    if (method.equals(HttpMethod.PUT)) {
                        register(r, path.get(2), path.get(4));
                    } else if (method.equals(HttpMethod.DELETE)) {
                        deregister(r, path.get(2), path.get(4));
                    } else {
                        throw new MethodNotAllowed(method, "PUT, DELETE");
                    }
                } else {
                    throw notFound(r.query.path());
                }
            }
            case "members" -> {
                if (path.size() != 2) {
                    throw notFound(r.query.path());
                }
                allow(method, HttpMethod.GET);
                members(r);
            }
            case "watch" -> {
                if (path.size() != 2) {
                    throw notFound(r.query.path());
                }
                allow(method, HttpMethod.GET);
                if (watch != null) {
                    throw Status.FAILED_PRECONDITION.withDescription("this connection already streams a watch").asRuntimeException();
                }
                watch = SseWatch.start(r.ctx, r.channel, r.query, r.req.headers().get("Last-Event-ID"), options.progressIntervalMs());
            }
            default -> throw notFound(r.query.path());
        }
    }

    private void listServices(Request r) {
        r.unary(RegistryGrpc.getListServicesMethod(), ListServicesRequest.newBuilder().setConsistency(consistency(r.query)).build(),
                resp -> r.json(HttpResponseStatus.OK, print(resp)));
    }

    private void service(Request r, String name) {
        DiscoverRequest req = DiscoverRequest.newBuilder().setService(name).setConsistency(consistency(r.query)).build();
        r.unary(RegistryGrpc.getDiscoverMethod(), req, (DiscoverResponse resp) -> {
            // the catalog knows a service only by its instances: none means no such service
            if (resp.getInstancesCount() == 0) {
                r.error(Status.NOT_FOUND.withDescription("service '" + name + "': no instances registered (revision " + resp.getRevision() + ")"));
            } else {
                JsonObject o = JsonParser.parseString(print(resp)).getAsJsonObject();
                o.addProperty("service", name);
                r.json(HttpResponseStatus.OK, o.toString());
            }
        });
    }

    private void register(Request r, String service, String id) {
        RegisterRequest.Builder b = RegisterRequest.newBuilder();
        JsonBodies.merge(r.req.content().toString(StandardCharsets.UTF_8), b);
        // the path names the instance; the body may repeat it, never contradict it
        if (!b.getInstance().getService().isEmpty() && !b.getInstance().getService().equals(service)) {
            throw HttpErrors.invalid("instance.service", "'" + b.getInstance().getService() + "'", "'" + service + "' as in the path, or absent")
                    .asRuntimeException();
        }
        if (!b.getInstance().getId().isEmpty() && !b.getInstance().getId().equals(id)) {
            throw HttpErrors.invalid("instance.id", "'" + b.getInstance().getId() + "'", "'" + id + "' as in the path, or absent")
                    .asRuntimeException();
        }
        b.getInstanceBuilder().setService(service).setId(id);
        r.unary(RegistryGrpc.getRegisterMethod(), b.build(), resp -> r.json(HttpResponseStatus.OK, print(resp)));
    }

    private void deregister(Request r, String service, String id) {
        r.unary(RegistryGrpc.getDeregisterMethod(), DeregisterRequest.newBuilder().setService(service).setInstanceId(id).build(),
                resp -> r.json(HttpResponseStatus.OK, print(resp)));
    }

    /**
     * The leader's view of the members (role, alive: only the leader knows who answers) and this
     * member's own Raft status (term, commit and applied index) under {@code self}.
     */
    private void members(Request r) {
        // Members is always the leader's answer; the parameter is still checked, so a typo is not ignored
        consistency(r.query);
        r.unary(ClusterGrpc.getMembersMethod(), MembersRequest.getDefaultInstance(), (MembersResponse members) ->
                r.unary(ClusterGrpc.getStatusMethod(), StatusRequest.getDefaultInstance(), (StatusResponse self) -> {
                    JsonObject o = JsonParser.parseString(print(members)).getAsJsonObject();
                    o.add("self", JsonParser.parseString(print(self)));
                    r.json(HttpResponseStatus.OK, o.toString());
                }));
    }

    static Consistency consistency(QueryStringDecoder q) {
        List<String> values = q.parameters().get("consistency");
        if (values == null || values.isEmpty()) {
            return Consistency.LINEARIZABLE;
        }
        return switch (values.get(values.size() - 1).toLowerCase(Locale.ROOT)) {
            case "linearizable" -> Consistency.LINEARIZABLE;
            case "local" -> Consistency.LOCAL;
            default -> throw HttpErrors.invalid("consistency", "'" + values.get(values.size() - 1) + "'", "linearizable or local")
                    .asRuntimeException();
        };
    }

    static String print(Message m) {
        try {
            return JSON.print(m);
        } catch (InvalidProtocolBufferException e) {
            throw Status.INTERNAL.withDescription("cannot print " + m.getDescriptorForType().getFullName() + " as JSON: " + e.getMessage())
                    .asRuntimeException();
        }
    }

    private static void allow(HttpMethod method, HttpMethod allowed) {
        if (!method.equals(allowed)) {
            throw new MethodNotAllowed(method, allowed.name());
        }
    }

    private static StatusRuntimeException notFound(String path) {
        return Status.NOT_FOUND.withDescription("path: " + path + " (expected: /v1/services, /v1/services/{name}, "
                + "/v1/services/{name}/instances/{id}, /v1/members or /v1/watch)").asRuntimeException();
    }

    private static List<String> segments(String path) {
        return java.util.Arrays.stream(path.split("/")).filter(s -> !s.isEmpty())
                .map(s -> QueryStringDecoder.decodeComponent(s, StandardCharsets.UTF_8)).toList();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (watch != null) {
            watch.writabilityChanged();
        }
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (watch != null) {
            watch.cancel("client went away");
        }
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // a reset connection or a malformed request: nothing to answer on
        ctx.close();
    }

    /** One request: where to answer, whether the connection stays open, the channel its calls use. */
    private final class Request {
        final ChannelHandlerContext ctx;
        final FullHttpRequest req;
        final QueryStringDecoder query;
        final boolean keepAlive;
        final Channel channel;

        Request(ChannelHandlerContext ctx, FullHttpRequest req, QueryStringDecoder query, boolean keepAlive, Channel channel) {
            this.ctx = ctx;
            this.req = req;
            this.query = query;
            this.keepAlive = keepAlive;
            this.channel = channel;
        }

        /** A unary call with the request deadline; its answer handed to {@code onValue} on this connection's loop. */
        <Q, R> void unary(MethodDescriptor<Q, R> method, Q request, Consumer<R> onValue) {
            CallOptions call = CallOptions.DEFAULT.withDeadlineAfter(options.requestDeadline().toMillis(), TimeUnit.MILLISECONDS)
                    .withExecutor(ctx.executor());
            ClientCalls.asyncUnaryCall(channel.newCall(method, call), request, new StreamObserver<R>() {
                @Override
                public void onNext(R value) {
                    try {
                        onValue.accept(value);
                    } catch (StatusRuntimeException e) {
                        error(e.getStatus());
                    }
                }

                @Override
                public void onError(Throwable t) {
                    error(Status.fromThrowable(t));
                }

                @Override
                public void onCompleted() {
                }
            });
        }

        void error(Status status) {
            send(HttpErrors.httpStatus(status.getCode()), HttpErrors.body(status), null);
        }

        void json(HttpResponseStatus status, String body) {
            send(status, body, null);
        }

        void send(HttpResponseStatus status, String body, String allow) {
            FullHttpResponse resp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                    Unpooled.copiedBuffer(body + "\n", StandardCharsets.UTF_8));
            resp.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON + "; charset=utf-8");
            HttpUtil.setContentLength(resp, resp.content().readableBytes());
            HttpUtil.setKeepAlive(resp, keepAlive);
            if (allow != null) {
                resp.headers().set(HttpHeaderNames.ALLOW, allow);
            }
            if (keepAlive) {
                ctx.writeAndFlush(resp);
            } else {
                ctx.writeAndFlush(resp).addListener(ChannelFutureListener.CLOSE);
            }
        }
    }

}
