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
import io.muster.api.v1.SetMaintenanceRequest;
import io.muster.api.v1.TransferLeadershipRequest;
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

    private final String memberId;
    private final Channel grpc;
    private final HttpApiServer.Options options;
    private final ConsoleAssets console;
    private SseWatch watch;

    HttpApiHandler(String memberId, Channel grpc, HttpApiServer.Options options, ConsoleAssets console) {
        this.memberId = memberId;
        this.grpc = grpc;
        this.options = options;
        this.console = console;
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
        String raw = r.query.rawPath();
        if (raw.equals("/") || raw.equals("/ui")) {
            r.redirect("/ui/");
            return;
        }
        if (raw.startsWith("/ui/")) {
            consoleFile(r, raw.substring("/ui/".length()));
            return;
        }
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
                } else if (path.size() == 6 && path.get(3).equals("instances") && path.get(5).equals("maintenance")) {
                    if (method.equals(HttpMethod.PUT)) {
                        maintenance(r, path.get(2), path.get(4), true);
                    } else if (method.equals(HttpMethod.DELETE)) {
                        maintenance(r, path.get(2), path.get(4), false);
                    } else {
                        throw new MethodNotAllowed(method, "PUT, DELETE");
                    }
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
                if (path.size() == 3 && path.get(2).equals("transfer-leadership")) {
                    allow(method, HttpMethod.POST);
                    transferLeadership(r);
                    return;
                }
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
        r.unary(RegistryGrpc.getListServicesMethod(), ListServicesRequest.newBuilder().setConsistency(consistency(r.query))
                        .setNamespace(namespace(r.query)).build(),
                resp -> r.json(HttpResponseStatus.OK, print(resp)));
    }

    private void service(Request r, String name) {
        DiscoverRequest req = DiscoverRequest.newBuilder().setService(name).setNamespace(namespace(r.query))
                .setConsistency(consistency(r.query)).build();
        r.unary(RegistryGrpc.getDiscoverMethod(), req, (DiscoverResponse resp) -> {
            // the catalog knows a service only by its instances: none means no such service
            if (resp.getInstancesCount() == 0) {
                r.error(Status.NOT_FOUND.withDescription("service '" + name + "': no instances registered (revision " + resp.getRevision() + ")"));
            } else {
                JsonObject o = JsonParser.parseString(print(resp)).getAsJsonObject();
                o.addProperty("service", name);
                o.addProperty("namespace", resp.getInstances(0).getNamespace());
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
        String namespace = namespace(r.query);
        if (!namespace.isEmpty() && !b.getInstance().getNamespace().isEmpty() && !b.getInstance().getNamespace().equals(namespace)) {
            throw HttpErrors.invalid("instance.namespace", "'" + b.getInstance().getNamespace() + "'",
                    "'" + namespace + "' as in ?namespace=, or absent").asRuntimeException();
        }
        b.getInstanceBuilder().setService(service).setId(id);
        if (!namespace.isEmpty()) {
            b.getInstanceBuilder().setNamespace(namespace);
        }
        b.setRequestId(idempotencyKey(r, b.getRequestId()));
        r.unary(RegistryGrpc.getRegisterMethod(), b.build(), resp -> r.json(HttpResponseStatus.OK, print(resp)));
    }

    private void deregister(Request r, String service, String id) {
        r.unary(RegistryGrpc.getDeregisterMethod(),
                DeregisterRequest.newBuilder().setNamespace(namespace(r.query)).setService(service).setInstanceId(id)
                        .setRequestId(idempotencyKey(r, "")).build(),
                resp -> r.json(HttpResponseStatus.OK, print(resp)));
    }

    /**
     * PUT turns maintenance on (body: an optional {@code SetMaintenanceRequest}, for its
     * {@code reason}), DELETE turns it off; the path names the instance, the method the state.
     */
    private void maintenance(Request r, String service, String id, boolean enabled) {
        SetMaintenanceRequest.Builder b = SetMaintenanceRequest.newBuilder();
        JsonBodies.merge(r.req.content().toString(StandardCharsets.UTF_8), b);
        if (!b.getService().isEmpty() && !b.getService().equals(service)) {
            throw HttpErrors.invalid("service", "'" + b.getService() + "'", "'" + service + "' as in the path, or absent").asRuntimeException();
        }
        if (!b.getInstanceId().isEmpty() && !b.getInstanceId().equals(id)) {
            throw HttpErrors.invalid("instance_id", "'" + b.getInstanceId() + "'", "'" + id + "' as in the path, or absent").asRuntimeException();
        }
        // JSON cannot tell an absent false from a written one: only a contradicting true is caught
        if (b.getEnabled() && !enabled) {
            throw HttpErrors.invalid("enabled", "true", "absent: DELETE turns maintenance off, PUT turns it on").asRuntimeException();
        }
        String namespace = namespace(r.query);
        if (!namespace.isEmpty() && !b.getNamespace().isEmpty() && !b.getNamespace().equals(namespace)) {
            throw HttpErrors.invalid("namespace", "'" + b.getNamespace() + "'", "'" + namespace + "' as in ?namespace=, or absent")
                    .asRuntimeException();
        }
        if (!namespace.isEmpty()) {
            b.setNamespace(namespace);
        }
        b.setService(service).setInstanceId(id).setEnabled(enabled).setRequestId(idempotencyKey(r, b.getRequestId()));
        r.unary(RegistryGrpc.getSetMaintenanceMethod(), b.build(), resp -> r.json(HttpResponseStatus.OK, print(resp)));
    }

    static final String IDEMPOTENCY_KEY = "Idempotency-Key";
    static final String IDEMPOTENCY_KEY_RULE = "1-64 chars of [A-Za-z0-9._-], or no header";

    /**
     * A write's request id ({@code request_id}) from the {@code Idempotency-Key} header: the cluster
     * applies a write with a given key at most once within 2 minutes, so a client that repeats a
     * write whose answer it lost (a curl retry) applies it once. Without the header, the body's
     * {@code request_id} if it has one (it may repeat the header's, never contradict it), else
     * empty: the gRPC service then gives the call an id of this member's, one per HTTP request,
     * which the forwarder's retries to the leader keep, so a forwarded HTTP write applies once either way.
     */
    private static String idempotencyKey(Request r, String fromBody) {
        List<String> values = r.req.headers().getAll(IDEMPOTENCY_KEY);
        if (values.isEmpty()) {
            return fromBody; // checked by the gRPC service (request_id)
        }
        if (values.size() > 1) {
            throw HttpErrors.invalid(IDEMPOTENCY_KEY, values.size() + " headers", "one header of " + IDEMPOTENCY_KEY_RULE).asRuntimeException();
        }
        String key = values.get(0);
        boolean valid = !key.isEmpty() && key.length() <= 64;
        for (int i = 0; valid && i < key.length(); i++) {
            char c = key.charAt(i);
            valid = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
        }
        if (!valid) {
            String shown = key.length() > 80 ? key.substring(0, 80) + "... (" + key.length() + " chars)" : key;
            throw HttpErrors.invalid(IDEMPOTENCY_KEY, "'" + shown + "'", IDEMPOTENCY_KEY_RULE).asRuntimeException();
        }
        if (!fromBody.isEmpty() && !fromBody.equals(key)) {
            throw HttpErrors.invalid("request_id", "'" + fromBody + "'", "'" + key + "' as in the " + IDEMPOTENCY_KEY + " header, or absent")
                    .asRuntimeException();
        }
        return key;
    }

    /** Body: a {@code TransferLeadershipRequest}, {@code {"targetId": "n2"}}, or none (any other member). */
    private void transferLeadership(Request r) {
        TransferLeadershipRequest.Builder b = TransferLeadershipRequest.newBuilder();
        JsonBodies.merge(r.req.content().toString(StandardCharsets.UTF_8), b);
        r.unary(ClusterGrpc.getTransferLeadershipMethod(), b.build(), resp -> r.json(HttpResponseStatus.OK, print(resp)));
    }

    /** A file of the console, or 404; no token needed: the files hold no data, every API call they make is checked. */
    private void consoleFile(Request r, String name) {
        HttpMethod method = r.req.method();
        if (!method.equals(HttpMethod.GET) && !method.equals(HttpMethod.HEAD)) {
            throw new MethodNotAllowed(method, "GET, HEAD");
        }
        ConsoleAssets.Asset asset = console.find(name).orElseThrow(() ->
                Status.NOT_FOUND.withDescription("path: /ui/" + name + " (expected: a file of the console, " + String.join(", ", ConsoleAssets.FILES) + ")")
                        .asRuntimeException());
        r.asset(asset, method.equals(HttpMethod.HEAD));
    }

    /**
     * The leader's view of the members (role, addresses) with each member's own Raft status
     * (term, commit and applied index) under {@code statuses}, which the answering member asks every
     * member for over the peer listener ({@code Members with_status}): {@code alive} is whether it
     * answered within a second. This member's own status is repeated under {@code self}
     * ({@code answeredBy} names the leader, whose view the member list is).
     */
    private void members(Request r) {
        // Members is always the leader's answer; the parameter is still checked, so a typo is not ignored
        consistency(r.query);
        r.unary(ClusterGrpc.getMembersMethod(), MembersRequest.newBuilder().setWithStatus(true).build(), (MembersResponse members) -> {
            JsonObject o = JsonParser.parseString(print(members)).getAsJsonObject();
            // proto3 JSON leaves false out; a member that did not answer says so in so many words
            if (!o.has("members")) {
                o.add("members", new com.google.gson.JsonArray());
            }
            o.getAsJsonArray("members").forEach(m -> {
                JsonObject member = m.getAsJsonObject();
                member.addProperty("alive", member.has("alive") && member.get("alive").getAsBoolean());
                member.addProperty("leader", member.has("leader") && member.get("leader").getAsBoolean());
            });
            StatusResponse self = members.getStatusesMap().get(memberId);
            if (self != null) {
                o.add("self", JsonParser.parseString(print(self)));
            }
            r.json(HttpResponseStatus.OK, o.toString());
        });
    }

    /**
     * The {@code ?namespace=} parameter: the last value, or empty (the namespace {@code default}).
     * Checked by the gRPC service it is passed to (INVALID_ARGUMENT, 400, naming {@code namespace}).
     */
    static String namespace(QueryStringDecoder q) {
        List<String> values = q.parameters().get("namespace");
        return values == null || values.isEmpty() ? "" : values.get(values.size() - 1);
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
                + "/v1/services/{name}/instances/{id}, /v1/services/{name}/instances/{id}/maintenance, /v1/members, "
                + "/v1/members/transfer-leadership, /v1/watch or /ui/)").asRuntimeException();
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

        void redirect(String location) {
            FullHttpResponse resp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.FOUND);
            resp.headers().set(HttpHeaderNames.LOCATION, location);
            finish(resp);
        }

        /** A console file: revalidated on every load (a member upgraded in place serves its new console at once). */
        void asset(ConsoleAssets.Asset asset, boolean head) {
            boolean unchanged = asset.etag().equals(req.headers().get(HttpHeaderNames.IF_NONE_MATCH));
            FullHttpResponse resp = unchanged || head
                    ? new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, unchanged ? HttpResponseStatus.NOT_MODIFIED : HttpResponseStatus.OK)
                    : new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.wrappedBuffer(asset.bytes()));
            resp.headers()
                    .set(HttpHeaderNames.CONTENT_TYPE, asset.contentType())
                    .set(HttpHeaderNames.CACHE_CONTROL, "no-cache")
                    .set(HttpHeaderNames.ETAG, asset.etag())
                    .set(HttpHeaderNames.CONTENT_SECURITY_POLICY, ConsoleAssets.CONTENT_SECURITY_POLICY)
                    .set("X-Content-Type-Options", "nosniff")
                    .set(HttpHeaderNames.X_FRAME_OPTIONS, "DENY")
                    .set("Referrer-Policy", "no-referrer");
            HttpUtil.setContentLength(resp, unchanged ? 0 : asset.bytes().length);
            finish(resp);
        }

        private void finish(FullHttpResponse resp) {
            if (!resp.headers().contains(HttpHeaderNames.CONTENT_LENGTH)) {
                HttpUtil.setContentLength(resp, resp.content().readableBytes());
            }
            HttpUtil.setKeepAlive(resp, keepAlive);
            if (keepAlive) {
                ctx.writeAndFlush(resp);
            } else {
                ctx.writeAndFlush(resp).addListener(ChannelFutureListener.CLOSE);
            }
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
