package io.muster.server.http;

import com.google.gson.JsonObject;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;
import io.muster.api.v1.Event;
import io.muster.api.v1.RegistryGrpc;
import io.muster.api.v1.WatchRequest;
import io.muster.api.v1.WatchResponse;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * {@code GET /v1/watch} as Server-Sent Events over the member's gRPC {@code Watch} stream.
 *
 * <p>Every SSE {@code id:} is a revision: the last part of a snapshot carries the snapshot's, each
 * event its own. A reconnecting client sends the last one as {@code Last-Event-ID} (or
 * {@code ?revision=}) and the watch starts right after it ({@code start_revision = id + 1}), on any
 * member, since every member applies the same log: no gap, no duplicate. A {@code COMPACTED} answer
 * (the revision is older than the member's history) is sent as {@code event: compacted}, and the
 * watch starts over with a fresh snapshot on the same response.
 *
 * <p>Backpressure: one gRPC message is requested at a time, and the next only while the
 * connection is writable; a slow client stops the requests, and the member's watcher (whose buffer
 * is its history) falls behind and ends with COMPACTED, never blocking the apply path or another
 * watcher. Runs on the connection's event loop.
 */
final class SseWatch {

    private final ChannelHandlerContext ctx;
    private final Channel grpc;
    private final String namespace;
    private final List<String> services;
    private final int progressIntervalMs;
    private ClientCall<WatchRequest, WatchResponse> call;
    private boolean headersSent;
    private boolean wantsMore;
    private boolean ended;

    private SseWatch(ChannelHandlerContext ctx, Channel grpc, String namespace, List<String> services, int progressIntervalMs) {
        this.ctx = ctx;
        this.namespace = namespace;
        this.grpc = grpc;
        this.services = services;
        this.progressIntervalMs = progressIntervalMs;
    }

    static SseWatch start(ChannelHandlerContext ctx, Channel grpc, QueryStringDecoder query, String lastEventId, int defaultProgressMs) {
        List<String> services = query.parameters().getOrDefault("service", List.of());
        long last = 0;
        if (lastEventId != null && !lastEventId.isBlank()) {
            last = revision("Last-Event-ID", lastEventId);
        } else if (query.parameters().containsKey("revision")) {
            last = revision("revision", query.parameters().get("revision").get(0));
        }
        int progressMs = defaultProgressMs;
        if (query.parameters().containsKey("progress_interval_ms")) {
            // the gRPC watch checks the range
            progressMs = (int) Math.min(Integer.MAX_VALUE, revision("progress_interval_ms", query.parameters().get("progress_interval_ms").get(0)));
        }
        SseWatch w = new SseWatch(ctx, grpc, HttpApiHandler.namespace(query), services, progressMs);
        w.open(last == 0 ? 0 : last + 1);
        // a request the watch refuses (a bad service name, too many services) is refused at once, in
        // this call: answer it as an HTTP error. Past this point the stream has begun
        ctx.executor().execute(w::sendHeaders);
        return w;
    }

    private static long revision(String field, String value) {
        try {
            long v = Long.parseLong(value.trim());
            if (v >= 0) {
                return v;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw HttpErrors.invalid(field, "'" + value + "'", "a revision (the id of the last event received), 0 or more")
                .asRuntimeException();
    }

    private void open(long startRevision) {
        ClientCall<WatchRequest, WatchResponse> c = grpc.newCall(RegistryGrpc.getWatchMethod(), CallOptions.DEFAULT.withExecutor(ctx.executor()));
        call = c;
        c.start(new ClientCall.Listener<>() {
            @Override
            public void onMessage(WatchResponse message) {
                if (call == c) {
                    deliver(message);
                }
            }

            @Override
            public void onClose(Status status, Metadata trailers) {
                if (call == c) {
                    closed(status);
                }
            }
        }, new Metadata());
        c.sendMessage(WatchRequest.newBuilder().setNamespace(namespace).addAllServices(services).setStartRevision(startRevision)
                .setProgressIntervalMs(progressIntervalMs).build());
        c.halfClose();
        c.request(1);
    }

    private void sendHeaders() {
        if (headersSent || ended) {
            return;
        }
        headersSent = true;
        HttpResponse resp = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        resp.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8");
        resp.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE);
        // nginx buffers responses unless told not to
        resp.headers().set("X-Accel-Buffering", "no");
        HttpUtil.setTransferEncodingChunked(resp, true);
        // retry: how long a browser's EventSource waits before it reconnects
        ctx.write(resp);
        ctx.writeAndFlush(chunk("retry: 1000\n\n"));
    }

    private void deliver(WatchResponse m) {
        sendHeaders();
        StringBuilder out = new StringBuilder();
        switch (m.getKind()) {
            case SNAPSHOT -> {
                out.append("event: snapshot\n");
                if (m.getSnapshotComplete()) {
                    out.append("id: ").append(m.getRevision()).append('\n');
                }
                out.append("data: ").append(HttpApiHandler.print(m.toBuilder().clearMemberId().build())).append("\n\n");
            }
            case EVENTS -> {
                for (Event e : m.getEventsList()) {
                    out.append("event: change\nid: ").append(e.getRevision()).append('\n')
                            .append("data: ").append(HttpApiHandler.print(e)).append("\n\n");
                }
            }
            // a comment: keeps proxies from closing an idle stream, and says how far the member is
            case PROGRESS -> out.append(": progress ").append(m.getRevision()).append("\n\n");
            case COMPACTED -> {
                JsonObject o = new JsonObject();
                o.addProperty("compactRevision", m.getCompactRevision());
                o.addProperty("message", "the revision asked for is older than this member's history; a fresh snapshot follows");
                out.append("event: compacted\ndata: ").append(o).append("\n\n");
                ctx.writeAndFlush(chunk(out.toString()));
                // the gRPC stream ends after this; a new one starts with a snapshot
                open(0);
                return;
            }
            default -> {
                // a kind this version does not know: nothing to show
            }
        }
        if (out.length() > 0) {
            ctx.writeAndFlush(chunk(out.toString()));
        }
        if (call != null) {
            if (ctx.channel().isWritable()) {
                call.request(1);
            } else {
                wantsMore = true;
            }
        }
    }

    void writabilityChanged() {
        if (wantsMore && ctx.channel().isWritable() && call != null) {
            wantsMore = false;
            call.request(1);
        }
    }

    private void closed(Status status) {
        call = null;
        if (ended) {
            return;
        }
        ended = true;
        if (!headersSent) {
            FullHttpResponse resp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpErrors.httpStatus(status.getCode()),
                    Unpooled.copiedBuffer(HttpErrors.body(status) + "\n", StandardCharsets.UTF_8));
            resp.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON + "; charset=utf-8");
            HttpUtil.setContentLength(resp, resp.content().readableBytes());
            // said, since the connection closes: a client that pools connections must not reuse it
            HttpUtil.setKeepAlive(resp, false);
            ctx.writeAndFlush(resp).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        // the member ended the stream (it stops, or lost its leader): say why; the client reconnects
        ctx.write(chunk("event: error\ndata: " + HttpErrors.body(status) + "\n\n"));
        ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(ChannelFutureListener.CLOSE);
    }

    void cancel(String why) {
        ended = true;
        ClientCall<WatchRequest, WatchResponse> c = call;
        call = null;
        if (c != null) {
            c.cancel(why, null);
        }
    }

    private static DefaultHttpContent chunk(String s) {
        return new DefaultHttpContent(Unpooled.copiedBuffer(s, StandardCharsets.UTF_8));
    }

}
